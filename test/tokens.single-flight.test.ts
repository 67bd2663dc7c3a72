/**
 * One token fetch per token lifetime per app: the callers of one process share a fetch, and services that
 * share a store (other processes) find the token there instead of fetching their own.
 */
import { expect } from 'chai';
import { Keyv } from 'keyv';
import sinon from 'sinon';
import { MemoryLock } from '../lib/tokens/lock.js';
import type { TokenSource } from '../lib/tokens/fetched-tokens.js';
import { startEmulator } from '../lib/emulator/index.js';
import { useWeChat } from './support/services.js';

const TOKEN_PATH: Record<TokenSource, string> = { classic: '/cgi-bin/token', stable: '/cgi-bin/stable_token' };

describe('tokens: single-flight and sharing', () => {
  const harness = useWeChat();

  for (const tokenSource of ['classic', 'stable'] as const) {
    it(`${tokenSource}: 1,000 concurrent get() calls make one fetch and all get the same token`, async () => {
      const { emulator, wechat } = await harness.start({ wechat: { tokenSource } });
      const tokens = await Promise.all(Array.from({ length: 1000 }, () => wechat.tokens.get()));
      expect(new Set(tokens).size).to.equal(1);
      expect(emulator.calls(TOKEN_PATH[tokenSource])).to.equal(1);
      const other = tokenSource === 'classic' ? 'stable' : 'classic';
      expect(emulator.calls(TOKEN_PATH[other]), 'the other source is never used').to.equal(0);
    });

    it(`${tokenSource}: later calls within the token's life are answered from the cache`, async () => {
      const { emulator, wechat } = await harness.start({ wechat: { tokenSource } });
      const first = await wechat.tokens.get();
      for (let call = 0; call < 50; call++) expect(await wechat.tokens.get()).to.equal(first);
      expect(emulator.calls(TOKEN_PATH[tokenSource])).to.equal(1);
    });
  }

  it('the default source is stable_token in normal mode: a system with its own cache gets the same token, and ours keeps working', async () => {
    const clock = sinon.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    try {
      const { emulator, wechat } = await harness.start();
      const ours = await wechat.tokens.get();
      expect(wechat.options.tokenSource).to.equal('stable');
      // Another system on the same app, past WeChat's 30 s spacing of forced refreshes.
      clock.tick(31_000);
      const theirs = await harness.another({ store: new Keyv() }).tokens.get();
      expect(theirs, 'a forced refresh would have rotated the token').to.equal(ours);
      expect(emulator.calls('/cgi-bin/stable_token')).to.equal(2);
      const band = emulator.findUser('Band')!.openid;
      const user = await wechat.client.fetchUserInfo({ accessToken: ours, openid: band });
      expect(user.subscribe).to.equal(1);
    } finally {
      clock.restore();
    }
  });

  it('classic: five services sharing a store and a lock (five processes) make one fetch for a concurrent burst', async () => {
    const { emulator } = await harness.start();
    const store = new Keyv();
    const lock = new MemoryLock();
    const services = Array.from({ length: 5 }, () => harness.another({ tokenSource: 'classic', store, lock }));
    const tokens = await Promise.all(services.flatMap((wechat) => Array.from({ length: 20 }, () => wechat.tokens.get())));
    expect(new Set(tokens).size).to.equal(1);
    expect(emulator.calls('/cgi-bin/token')).to.equal(1);
  });

  it('a service that starts later takes the stored token instead of fetching (and retiring) its own', async () => {
    const { emulator, wechat } = await harness.start({ wechat: { tokenSource: 'classic', store: new Keyv() } });
    const store = new Keyv();
    const first = harness.another({ tokenSource: 'classic', store, lock: new MemoryLock() });
    const token = await first.tokens.get();
    const later = harness.another({ tokenSource: 'classic', store, lock: new MemoryLock() });
    expect(await later.tokens.get()).to.equal(token);
    expect(emulator.calls('/cgi-bin/token')).to.equal(1);
    // The service with a store of its own is the control: it does fetch.
    await wechat.tokens.get();
    expect(emulator.calls('/cgi-bin/token')).to.equal(2);
  });

  it('keys are namespaced by app id and source, and neither keys nor values hold the secret', async () => {
    const map = new Map<string, unknown>();
    const { emulator } = await harness.start();
    const store = new Keyv({ store: map });
    const classic = harness.another({ tokenSource: 'classic', store });
    const stable = harness.another({ store });
    const [classicToken, stableToken] = await Promise.all([classic.tokens.get(), stable.tokens.get()]);
    expect(classicToken).to.not.equal(stableToken);
    const keys = [...map.keys()];
    expect(keys).to.have.length(2);
    for (const key of keys) expect(key).to.include(emulator.appId);
    expect(keys.some((key) => key.endsWith(':token:classic'))).to.equal(true);
    expect(keys.some((key) => key.endsWith(':token:stable'))).to.equal(true);
    expect(JSON.stringify([...map.entries()])).to.not.include(emulator.appSecret);
  });

  it('two apps sharing one store keep their tokens apart', async () => {
    const { emulator } = await harness.start();
    const otherApp = await startEmulator({ appId: 'wx00000000000000aa', appSecret: 'another-secret-for-another-app0' });
    try {
      const store = new Keyv();
      const ours = harness.another({ store });
      const theirs = harness.another({ store, appId: otherApp.appId, appSecret: otherApp.appSecret, apiBaseUrl: otherApp.url });
      const [ourToken, theirToken] = await Promise.all([ours.tokens.get(), theirs.tokens.get()]);
      expect(ourToken).to.not.equal(theirToken);
      expect(emulator.calls('/cgi-bin/stable_token')).to.equal(1);
      expect(otherApp.calls('/cgi-bin/stable_token')).to.equal(1);
      // Each token works with its own app only.
      const band = emulator.findUser('Band')!.openid;
      await ours.client.fetchUserInfo({ accessToken: ourToken, openid: band });
    } finally {
      await otherApp.close();
    }
  });
});
