/**
 * When the token cannot be had: busy and network trouble are retried with the client's backoff, configuration
 * and quota errors fail at once with the typed error (and are not asked again for 10 s), and the provider
 * mode never fetches a token of its own.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { WeChatApiError, WeChatClient, WeChatTokenProviderError, WeChatUnavailableError } from '../lib/index.js';
import { HANG_TIMEOUT, rejectionOf } from './support/fixtures.js';
import { useWeChat, wechatCalls } from './support/services.js';

describe('tokens: faults', () => {
  const harness = useWeChat();

  for (const kind of ['busy', 'reset', 'html500'] as const) {
    it(`a token fetch that meets "${kind}" is retried, and the caller gets the token`, async () => {
      const { emulator, wechat } = await harness.start({ wechat: { tokenSource: 'classic' } });
      emulator.injectFault('/cgi-bin/token', kind, 2);
      expect(await wechat.tokens.get()).to.be.a('string');
      expect(emulator.calls('/cgi-bin/token')).to.equal(3);
    });
  }

  it('a token fetch that hangs fails with a timeout after the retries, for every waiting caller at once', async () => {
    const { emulator, wechat } = await harness.start({ wechat: { timeout: HANG_TIMEOUT } });
    emulator.injectFault('/cgi-bin/stable_token', 'hang', 3);
    const errors = await Promise.all(Array.from({ length: 20 }, () => rejectionOf(wechat.tokens.get())));
    for (const error of errors) expect(error).to.be.instanceOf(WeChatUnavailableError).with.property('reason', 'timeout');
    expect(emulator.calls('/cgi-bin/stable_token')).to.equal(3);
    // Network trouble is not held: the next caller tries again.
    expect(await wechat.tokens.get()).to.be.a('string');
  });

  it('40125 (a wrong secret): a typed config error at once, no retry, shared by a burst, and not asked again for 10 s', async () => {
    const clock = sinon.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    try {
      const { emulator } = await harness.start();
      const wechat = harness.another({ appSecret: 'not-the-secret-0000000000000000' });
      const errors = await Promise.all(Array.from({ length: 100 }, () => rejectionOf(wechat.tokens.get())));
      for (const error of errors) {
        expect(error).to.be.instanceOf(WeChatApiError);
        expect(error).to.include({ errcode: 40125, category: 'config', status: 502 });
      }
      expect(emulator.calls('/cgi-bin/stable_token')).to.equal(1);

      clock.tick(9_000);
      expect(await rejectionOf(wechat.tokens.get())).to.have.property('errcode', 40125);
      expect(emulator.calls('/cgi-bin/stable_token'), 'held for 10 s').to.equal(1);
      clock.tick(2_000);
      expect(await rejectionOf(wechat.tokens.get())).to.have.property('errcode', 40125);
      expect(emulator.calls('/cgi-bin/stable_token'), 'asked again after 10 s').to.equal(2);
    } finally {
      clock.restore();
    }
  });

  it('45009 (the daily quota is spent): a typed quota error, no retry', async () => {
    const { emulator, wechat } = await harness.start({ wechat: { tokenSource: 'classic' } });
    emulator.injectFault('/cgi-bin/token', 'quota', 5);
    const error = await rejectionOf(wechat.tokens.get());
    expect(error).to.be.instanceOf(WeChatApiError);
    expect(error).to.include({ errcode: 45009, category: 'quota', status: 503 });
    expect(emulator.calls('/cgi-bin/token')).to.equal(1);
  });

  it("the emulator's own daily quota of classic tokens ends in 45009 too", async () => {
    const { emulator, wechat } = await harness.start({ emulator: { dailyQuota: { token: 1 } }, wechat: { tokenSource: 'classic' } });
    await wechat.tokens.get();
    emulator.revokeToken('classic');
    const error = await rejectionOf(wechat.tokens.renew(await wechat.tokens.get()));
    expect(error).to.have.property('errcode', 45009);
  });

  describe('tokenProvider (a central service owns the token)', () => {
    it('uses the provided token for lookups and never fetches one', async () => {
      const { emulator } = await harness.start();
      const central = new WeChatClient({ appId: emulator.appId, appSecret: emulator.appSecret, apiBaseUrl: emulator.url });
      const { access_token: token } = await central.fetchStableToken();
      central.close();
      emulator.resetCounters();
      let asked = 0;
      const wechat = harness.another({
        tokenProvider: () => {
          asked += 1;
          return Promise.resolve(token);
        },
      });
      const band = emulator.findUser('Band')!.openid;
      const tokens = await Promise.all(Array.from({ length: 10 }, () => wechat.tokens.get()));
      expect(new Set(tokens)).to.deep.equal(new Set([token]));
      expect(asked, 'concurrent callers share one call of the provider').to.equal(1);
      expect((await wechat.subscriptions.status(band)).subscribed).to.equal(true);
      expect(wechatCalls(emulator).tokenFetches).to.equal(0);
      expect(wechat.options.tokenSource).to.equal('provider');
    });

    it('on 40001 asks the provider once more, and gives up when it hands back the refused token', async () => {
      const { emulator } = await harness.start();
      const central = new WeChatClient({ appId: emulator.appId, appSecret: emulator.appSecret, apiBaseUrl: emulator.url });
      const tokens = [(await central.fetchClassicToken()).access_token];
      emulator.revokeToken('classic');
      tokens.push((await central.fetchClassicToken()).access_token);
      central.close();
      const band = emulator.findUser('Band')!.openid;

      // The central service has rotated: the first answer is stale, the second is fresh.
      const rotating = [...tokens];
      const fresh = harness.another({ tokenProvider: () => Promise.resolve(rotating.length > 1 ? rotating.shift()! : rotating[0]!) });
      expect((await fresh.subscriptions.status(band)).subscribed).to.equal(true);

      // A provider stuck on a dead token: one attempt, no loop.
      let asked = 0;
      const stuck = harness.another({
        tokenProvider: () => {
          asked += 1;
          return Promise.resolve(tokens[0]!);
        },
      });
      emulator.resetCounters();
      const error = await rejectionOf(stuck.subscriptions.status(`o${'a'.repeat(27)}`));
      expect((error as { cause?: unknown }).cause)
        .to.be.instanceOf(WeChatApiError)
        .with.property('errcode', 40001);
      expect(asked).to.equal(2);
      expect(emulator.calls('/cgi-bin/user/info/batchget'), 'the refused token is not sent again').to.equal(1);
    });

    it('a provider that fails or gives a non-token answers with WeChatTokenProviderError (503), naming only the class and code', async () => {
      await harness.start();
      const failing = harness.another({
        tokenProvider: () => Promise.reject(Object.assign(new Error('redis said 86_secret-token-value'), { code: 'ECONNREFUSED' })),
      });
      const error = await rejectionOf(failing.tokens.get());
      expect(error).to.be.instanceOf(WeChatTokenProviderError);
      expect(error).to.include({ status: 503, code: 'ERR_WECHAT_TOKEN_PROVIDER' });
      expect(error.message).to.include('Error ECONNREFUSED').and.not.include('86_secret');

      for (const answer of ['', 'two words', 42, undefined]) {
        const odd = harness.another({ tokenProvider: () => Promise.resolve(answer as string) });
        expect(await rejectionOf(odd.tokens.get())).to.be.instanceOf(WeChatTokenProviderError);
      }
    });
  });
});
