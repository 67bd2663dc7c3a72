/**
 * Expiry and refresh ahead, driven by sinon's fake Date (which moves the emulator's clock too): a token is
 * refreshed once in its last minutes while callers keep using it, and is never used past its margin.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import sinon from 'sinon';
import { Keyv } from 'keyv';
import { WeChatApiError, type WeChat } from '../lib/index.js';
import { tokenKey } from '../lib/store/keys.js';
import { scheduleToken, type CachedToken } from '../lib/tokens/schedule.js';
import { eventually } from './support/eventually.js';
import { useWeChat } from './support/services.js';
import { startTapProxy, type TapProxy } from './support/tap-proxy.js';

const MINUTE = 60_000;

/** Resolves once `get()` serves a token other than `old` (a background refresh has landed). */
async function servedTokenChanges(wechat: WeChat, old: string): Promise<void> {
  let served = old;
  await eventually(() => {
    void wechat.tokens.get().then((token) => (served = token));
    return served !== old;
  }, 'the refreshed token is served');
}

describe('tokens: expiry and refresh ahead', () => {
  const harness = useWeChat();
  let clock: sinon.SinonFakeTimers;
  let proxy: TapProxy | undefined;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['Date'], now: Date.now() });
  });
  afterEach(async () => {
    clock.restore();
    await proxy?.close();
    proxy = undefined;
  });

  describe('the schedule', () => {
    it('a 7200 s token is refreshed from 6900 s (when WeChat rotates a stable token) and dropped at 7140 s', () => {
      const token = scheduleToken('t', 7200, 0);
      expect(token.refreshAt).to.equal(6900_000);
      expect(token.expiresAt).to.equal(7140_000);
    });

    it('a 300 s token (a stable token fetched late in its life) still has a positive cache lifetime', () => {
      const token = scheduleToken('t', 300, 0);
      expect(token.expiresAt).to.equal(270_000);
      expect(token.refreshAt).to.be.greaterThan(0).and.lessThan(token.expiresAt);
    });

    it('even a 1 s token is cached for a positive time, and refreshed no later than it expires', () => {
      const token = scheduleToken('t', 1, 0);
      expect(token.expiresAt).to.be.greaterThan(0);
      expect(token.refreshAt).to.be.at.most(token.expiresAt);
    });
  });

  for (const tokenSource of ['classic', 'stable'] as const) {
    const path = tokenSource === 'classic' ? '/cgi-bin/token' : '/cgi-bin/stable_token';

    it(`${tokenSource}: in the last 300 s one background refresh fetches a new token, and callers never wait for it`, async () => {
      let hold: (() => void) | undefined;
      const { emulator } = await harness.start();
      // The proxy holds the refresh until we let it go: a caller that waited for it would hang.
      proxy = await startTapProxy(emulator.url, (seen, count) =>
        seen === path && count === 2 ? new Promise<void>((resolve) => (hold = resolve)) : undefined,
      );
      const wechat = harness.another({ tokenSource, apiBaseUrl: proxy.url });
      const first = await wechat.tokens.get();

      clock.tick(6899_000);
      expect(await wechat.tokens.get()).to.equal(first);
      expect(proxy.seen(path), 'no refresh before the last 300 s').to.equal(1);

      clock.tick(2_000);
      const during = await Promise.all(Array.from({ length: 100 }, () => wechat.tokens.get()));
      expect(new Set(during)).to.deep.equal(new Set([first]));
      await eventually(() => hold !== undefined, 'the refresh reaches the proxy');
      expect(proxy.seen(path), 'one refresh for 100 callers').to.equal(2);
      hold!();

      await servedTokenChanges(wechat, first);
      expect(emulator.calls(path), 'WeChat gave a new token at 6901 s, at the first try').to.equal(2);
    });

    it(`${tokenSource}: over 4 hours of steady traffic, one fetch per token lifetime and never a refused token`, async () => {
      const store = new Keyv();
      const { emulator, wechat } = await harness.start({ wechat: { tokenSource, store } });
      const band = emulator.findUser('Band')!.openid;
      for (let minute = 0; minute <= 240; minute++) {
        const accessToken = await wechat.tokens.get();
        // Every token handed out works at WeChat (a 40001 or 42001 would throw here).
        await wechat.client.fetchUserInfo({ accessToken, openid: band });
        // Fake time must not jump while a background refresh is on the wire: let it land first.
        const cached = (await store.get(tokenKey(emulator.appId, tokenSource))) as CachedToken;
        if (Date.now() >= cached.refreshAt) await servedTokenChanges(wechat, accessToken);
        clock.tick(MINUTE);
      }
      // At 0 s, 6900 s and 13,800 s: three lifetimes began in 14,400 s, and each began with one fetch.
      expect(emulator.calls(path)).to.equal(3);
    });
  }

  it('past its margin a token is not used: the caller waits for a new one', async () => {
    const { emulator, wechat } = await harness.start({ wechat: { tokenSource: 'classic' } });
    const first = await wechat.tokens.get();
    clock.tick(7141_000);
    const second = await wechat.tokens.get();
    expect(second).to.not.equal(first);
    expect(emulator.calls('/cgi-bin/token')).to.equal(2);
  });

  it('a token with expires_in 300 is refreshed before WeChat drops it', async () => {
    const { emulator, wechat } = await harness.start({ emulator: { tokenLifetime: 300, tokenOverlap: 60 }, wechat: { tokenSource: 'classic' } });
    const first = await wechat.tokens.get();
    clock.tick(271_000);
    const second = await wechat.tokens.get();
    expect(second).to.not.equal(first);
    const band = emulator.findUser('Band')!.openid;
    await wechat.client.fetchUserInfo({ accessToken: second, openid: band });
  });

  it('a refresh that fails while the token is valid: the cached token keeps serving, the failure is logged, and the next try waits', async () => {
    const warnings: string[] = [];
    const { emulator, wechat } = await harness.start({ wechat: { tokenSource: 'classic', logger: { warn: (line) => warnings.push(line) } } });
    const first = await wechat.tokens.get();
    emulator.injectFault('/cgi-bin/token', 'quota', 1000);

    clock.tick(6950_000);
    expect(await wechat.tokens.get()).to.equal(first);
    await eventually(() => warnings.length === 1, 'the failed refresh is logged');
    expect(warnings[0]).to.include('refreshing the classic access token failed').and.include('45009');
    const band = emulator.findUser('Band')!.openid;
    for (let call = 0; call < 5; call++) {
      await wechat.client.fetchUserInfo({ accessToken: await wechat.tokens.get(), openid: band });
    }
    // Proving that something does not happen needs a grace period: a retry would have landed by then.
    await sleep(100);
    expect(warnings, 'no second try within 10 s').to.have.length(1);
    expect(emulator.calls('/cgi-bin/token')).to.equal(2);

    clock.tick(11_000);
    expect(await wechat.tokens.get()).to.equal(first);
    await eventually(() => warnings.length === 2, 'the second failed refresh is logged');

    clock.tick(7141_000 - 6961_000);
    const error = await wechat.tokens.get().then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).to.be.instanceOf(WeChatApiError).with.property('errcode', 45009);
  });
});
