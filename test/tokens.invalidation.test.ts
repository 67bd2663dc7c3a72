/**
 * Compare-and-invalidate: when WeChat refuses a token (40001, 40014, 42001), only the token that failed is
 * replaced, once for a whole burst, the call is retried once, and a token that keeps failing never loops.
 */
import { expect } from 'chai';
import { Keyv } from 'keyv';
import { WeChatApiError, WeChatStatusUnknownError } from '../lib/index.js';
import { MemoryLock } from '../lib/tokens/lock.js';
import { rejectionOf } from './support/fixtures.js';
import { createUsers, useWeChat, wechatCalls } from './support/services.js';
import { startTapProxy, type TapProxy } from './support/tap-proxy.js';

const BATCHGET = '/cgi-bin/user/info/batchget';

describe('tokens: compare-and-invalidate', () => {
  const harness = useWeChat();
  let proxy: TapProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });

  for (const tokenSource of ['classic', 'stable'] as const) {
    it(`${tokenSource}: a token revoked in the middle of a 1,000-lookup burst is renewed exactly once, and every lookup succeeds`, async () => {
      const { emulator } = await harness.start();
      // Another server knocks our token out just as the fifth batch arrives.
      proxy = await startTapProxy(emulator.url, (path, count) => {
        if (path === BATCHGET && count === 5) emulator.revokeToken(tokenSource);
      });
      const wechat = harness.another({ tokenSource, apiBaseUrl: proxy.url });
      const users = createUsers(emulator, 1000);
      const answers = await Promise.all(users.map((user) => wechat.subscriptions.status(user.openid)));

      answers.forEach((answer, index) => {
        expect(answer.user.openid).to.equal(users[index]!.openid);
        expect(answer.subscribed).to.equal(users[index]!.subscribed);
      });
      const refused = emulator.requests().filter((call) => call.errcode === 40001).length;
      expect(refused, 'some batches met the revoked token').to.be.greaterThan(0);
      expect(wechatCalls(emulator).tokenFetches, 'the first fetch and one renewal').to.equal(2);
      expect(emulator.calls(BATCHGET), 'each refused batch retried once').to.equal(10 + refused);
    });
  }

  it('a token that WeChat refuses again after the renewal is not retried a third time', async () => {
    const { emulator } = await harness.start();
    const band = emulator.findUser('Band')!.openid;
    // Every batch meets a token that has just been knocked out.
    proxy = await startTapProxy(emulator.url, (path) => {
      if (path === BATCHGET) emulator.revokeToken('stable');
    });
    const wechat = harness.another({ apiBaseUrl: proxy.url });
    const error = await rejectionOf(wechat.subscriptions.status(band));
    expect(error).to.be.instanceOf(WeChatStatusUnknownError);
    expect((error as WeChatStatusUnknownError).cause)
      .to.be.instanceOf(WeChatApiError)
      .with.property('errcode', 40001);
    expect(emulator.calls(BATCHGET)).to.equal(2);
    expect(emulator.calls('/cgi-bin/stable_token')).to.equal(2);
  });

  it('42001 (expired at WeChat while our cache still trusts it) renews and retries', async () => {
    const { emulator, wechat } = await harness.start({ wechat: { tokenSource: 'classic' } });
    const band = emulator.findUser('Band')!.openid;
    await wechat.tokens.get();
    // Only WeChat's clock moves: our cache does not know the token died.
    emulator.advanceClock(7201);
    const answer = await wechat.subscriptions.status(band);
    expect(answer.subscribed).to.equal(true);
    expect(emulator.requests().some((call) => call.errcode === 42001)).to.equal(true);
    expect(emulator.calls('/cgi-bin/token')).to.equal(2);
  });

  it('renew() of a token that another caller has already replaced returns the replacement without a fetch', async () => {
    const { emulator, wechat } = await harness.start({ wechat: { tokenSource: 'classic' } });
    const old = await wechat.tokens.get();
    emulator.revokeToken('classic');
    const renewed = await wechat.tokens.renew(old);
    expect(renewed).to.not.equal(old);
    expect(await wechat.tokens.renew(old)).to.equal(renewed);
    expect(await wechat.tokens.get()).to.equal(renewed);
    expect(emulator.calls('/cgi-bin/token')).to.equal(2);
  });

  it('concurrent renew() calls for one refused token make one fetch', async () => {
    const { emulator, wechat } = await harness.start({ wechat: { tokenSource: 'classic' } });
    const old = await wechat.tokens.get();
    const renewed = await Promise.all(Array.from({ length: 50 }, () => wechat.tokens.renew(old)));
    expect(new Set(renewed).size).to.equal(1);
    expect(emulator.calls('/cgi-bin/token')).to.equal(2);
  });

  it('across processes: a token renewed by one service is adopted by another that saw the same failure', async () => {
    const { emulator } = await harness.start();
    const store = new Keyv();
    const lock = new MemoryLock();
    const first = harness.another({ tokenSource: 'classic', store, lock });
    const second = harness.another({ tokenSource: 'classic', store, lock });
    const old = await first.tokens.get();
    expect(await second.tokens.get()).to.equal(old);
    emulator.revokeToken('classic');
    const [one, two] = await Promise.all([first.tokens.renew(old), second.tokens.renew(old)]);
    expect(one).to.equal(two);
    expect(emulator.calls('/cgi-bin/token')).to.equal(2);
  });

  it('a renewal does not drop a newer token that another process stored meanwhile', async () => {
    const { emulator } = await harness.start();
    const store = new Keyv();
    const first = harness.another({ tokenSource: 'classic', store });
    const second = harness.another({ tokenSource: 'classic', store });
    const old = await first.tokens.get();
    const newer = await second.tokens.renew(old);
    // `first` still holds `old` in memory; its renewal must find `newer` and keep it.
    expect(await first.tokens.renew(old)).to.equal(newer);
    expect(await second.tokens.get()).to.equal(newer);
    expect(emulator.calls('/cgi-bin/token')).to.equal(2);
  });

  it('withToken() retries a refused call once with the renewed token and passes other errors through untouched', async () => {
    const { emulator, wechat } = await harness.start();
    const band = emulator.findUser('Band')!.openid;
    const seen: string[] = [];
    await wechat.tokens.get();
    emulator.revokeToken('stable');
    const user = await wechat.tokens.withToken((accessToken) => {
      seen.push(accessToken);
      return wechat.client.fetchUserInfo({ accessToken, openid: band });
    });
    expect(user.openid).to.equal(band);
    expect(seen).to.have.length(2);
    expect(seen[0]).to.not.equal(seen[1]);

    let attempts = 0;
    const unknown = `o${'x'.repeat(27)}`;
    const error = await rejectionOf(
      wechat.tokens.withToken((accessToken) => {
        attempts += 1;
        return wechat.client.fetchUserInfo({ accessToken, openid: unknown });
      }),
    );
    expect(error).to.be.instanceOf(WeChatApiError).with.property('errcode', 40003);
    expect(attempts, 'a bad openid is not a token problem').to.equal(1);
  });
});
