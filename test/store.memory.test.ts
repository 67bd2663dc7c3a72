/**
 * The default store: a bounded LRU (memory cannot grow with the number of visitors), entries that expire with
 * their TTL, a one-time warning when it is used in production, and a failing store that is only a miss.
 */
import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { Keyv } from 'keyv';
import sinon from 'sinon';
import { createMemoryStore } from '../lib/store/memory-store.js';
import { useWeChat } from './support/services.js';
import { leaksIn } from './support/leak-scan.js';

const sizeOf = (keyv: Keyv): number => (keyv.store as { size: number }).size;

describe('the in-memory store', () => {
  const h = useWeChat();
  let clock: sinon.SinonFakeTimers | undefined;
  afterEach(() => {
    clock?.restore();
    clock = undefined;
  });

  describe('the LRU bound', () => {
    it('holds at most 1,000 entries after 50,000 distinct sets, the latest ones', async () => {
      const keyv = createMemoryStore(1000);
      for (let index = 0; index < 50_000; index++) await keyv.set(`key-${index}`, index);
      expect(sizeOf(keyv)).to.equal(1000);
      expect(await keyv.get('key-49999')).to.equal(49_999);
      expect(await keyv.get('key-49000')).to.equal(49_000);
      expect(await keyv.get('key-48999')).to.equal(undefined);
    });

    // createWeChat keeps its default store private (there is no `wechat.store`), so the bound is observed from
    // outside: statuses recorded as "not following" for users who do follow are told apart from fresh answers.
    it('keeps the statuses of the last cacheMaxEntries openids only, after 5,000 distinct record() calls', async () => {
      const { emulator, wechat } = await h.start({ wechat: { cacheMaxEntries: 100 } });
      const openids = Array.from({ length: 5000 }, (_, index) => emulator.createUser({ nickname: `follower-${index}`, subscribed: true }).openid);
      for (const openid of openids) await wechat.subscriptions.record(openid, false);
      const answers = await Promise.all(openids.map((openid) => wechat.subscriptions.status(openid)));
      const fromCache = openids.filter((_, index) => !answers[index]!.subscribed);
      expect(fromCache.length, 'answers served from the store').to.equal(100);
      expect(fromCache).to.deep.equal(openids.slice(-100));
      // The 4,900 evicted ones were asked of WeChat, 100 to a batchget call.
      expect(emulator.calls('/cgi-bin/user/info/batchget')).to.equal(49);
      expect(sizeOf(wechat.store), 'the default store, seen through wechat.store').to.be.at.most(100);
    });
  });

  describe('TTL', () => {
    it('expires an entry once its TTL has passed, and drops it from the LRU', async () => {
      clock = sinon.useFakeTimers({ toFake: ['Date'], now: Date.now() });
      const keyv = createMemoryStore(10);
      await keyv.set('short', 'value', 1000);
      await keyv.set('for-ever', 'value');
      clock.tick(1000);
      expect(await keyv.get('short')).to.equal('value');
      clock.tick(1);
      expect(await keyv.get('short')).to.equal(undefined);
      expect(await keyv.get('for-ever')).to.equal('value');
      expect(sizeOf(keyv)).to.equal(1);
    });

    it('hands the TTL on to the LRU itself, so that an expired entry leaves without a read through Keyv', async () => {
      clock = sinon.useFakeTimers({ toFake: ['Date'], now: Date.now() });
      // lru-cache keeps its own reference to `performance` from load time: drive its now() by the fake Date.
      const start = Date.now();
      const base = performance.now();
      const now = sinon.stub(performance, 'now').callsFake(() => base + (Date.now() - start));
      try {
        const keyv = createMemoryStore(10);
        await keyv.set('short', 'value', 1000);
        const adapter = keyv.store as { get(key: string): unknown };
        expect(adapter.get('short')).not.to.equal(undefined);
        clock.tick(1001);
        // lru-cache reuses its last now() for 1 ms of real time (ttlResolution): let that timer pass.
        await new Promise((resolve) => setTimeout(resolve, 5));
        expect(adapter.get('short')).to.equal(undefined);
      } finally {
        now.restore();
      }
    });

    it('forgets a recorded status after statusTtl: the next lookup asks WeChat', async () => {
      clock = sinon.useFakeTimers({ toFake: ['Date'], now: Date.now() });
      const { emulator, wechat } = await h.start({ wechat: { statusTtl: 60 } });
      const band = emulator.findUser('Band')!.openid;
      await wechat.subscriptions.record(band, false);
      clock.tick(59_000);
      expect((await wechat.subscriptions.status(band)).subscribed).to.equal(false);
      clock.tick(1_001);
      expect((await wechat.subscriptions.status(band)).subscribed).to.equal(true);
      expect(emulator.calls('/cgi-bin/user/info/batchget')).to.equal(1);
    });
  });

  describe('the production warning', () => {
    const lib = pathToFileURL(new URL('../lib/index.ts', import.meta.url).pathname).href;
    /** createWeChat in a fresh process (the warning is once per process): `defaults` times without a store, then once with one. */
    const warningsOf = async (nodeEnv: string, defaults: number): Promise<number> => {
      const script = `
        const { createWeChat } = await import(${JSON.stringify(lib)});
        const { Keyv } = await import('keyv');
        const options = { appId: 'wx0123456789abcdef', appSecret: 'e1a7e0c0ffee5ecre7000000000e1a7e' };
        for (let i = 0; i < ${defaults}; i++) await createWeChat(options).close();
        await createWeChat({ ...options, store: new Keyv() }).close();
        process.stdout.write('probe done');`;
      const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        // No coverage from the child: c8 garbles the line counts of files a process loaded without running.
        env: { ...process.env, NODE_ENV: nodeEnv, NODE_V8_COVERAGE: '' },
        timeout: 30_000,
      });
      expect(stdout).to.equal('probe done');
      return stderr.match(/KWS_MEMORY_STORE/g)?.length ?? 0;
    };

    it('warns exactly once per process in production, however many services use the default store', async () => {
      expect(await warningsOf('production', 2)).to.equal(1);
    });

    it('does not warn outside production', async () => {
      expect(await warningsOf('development', 2)).to.equal(0);
    });

    it('does not warn when every service is given a store', async () => {
      expect(await warningsOf('production', 0)).to.equal(0);
    });
  });

  describe('a failing store', () => {
    /** An adapter whose every call rejects with a message that quotes what a store error may quote: the value, the password. */
    const failingAdapter = (secret: string) => ({
      get: (key: string) => Promise.reject(new Error(`GET ${key} refused: AUTH ${secret} is wrong`)),
      set: (key: string, value: unknown) => Promise.reject(new Error(`SET ${key} ${String(value)} refused: AUTH ${secret} is wrong`)),
      delete: (key: string) => Promise.reject(new Error(`DEL ${key} refused: AUTH ${secret} is wrong`)),
      clear: () => Promise.resolve(),
    });

    /** Tokens, lookups and forget() against a failing store; answers what WeChat and the logger saw. */
    const exercise = async (throwOnErrors: boolean) => {
      const lines: string[] = [];
      const { emulator } = await h.start();
      const store = new Keyv({ store: failingAdapter(emulator.appSecret), throwOnErrors });
      const emitted: unknown[] = [];
      store.on('error', (error: unknown) => emitted.push(error));
      const wechat = h.another({ store, logger: { warn: (message) => lines.push(message) } });
      const accessToken = await wechat.tokens.get();
      const band = emulator.findUser('Band')!.openid;
      for (let round = 0; round < 2; round++) expect((await wechat.subscriptions.status(band)).subscribed).to.equal(true);
      await wechat.subscriptions.forget(band);
      const secrets = [emulator.appSecret, accessToken];
      // The failures did carry the secrets, so that a logger line repeating them would leak them.
      expect(emitted.flatMap((error) => leaksIn(String(error), secrets))).to.include.members(secrets);
      for (const line of lines) expect(leaksIn(line, secrets), line).to.deep.equal([]);
      return { emulator, lines };
    };

    it('with Keyv’s default, which swallows store errors: every lookup goes to WeChat, and failed writes are still logged', async () => {
      // Keyv 5 catches the adapter's rejection itself: get() answers undefined without a word, set() and
      // delete() emit 'error' (with the raw error) and answer false. A write that answers false is logged; a
      // failed read cannot be told from a miss (the README asks for throwOnErrors: true).
      const { emulator, lines } = await exercise(false);
      expect(emulator.calls('/cgi-bin/stable_token')).to.equal(1);
      expect(emulator.calls('/cgi-bin/user/info/batchget')).to.equal(2);
      expect(lines.length).to.be.greaterThan(0);
      for (const line of lines) expect(line).to.include('the store failed to write a key (Keyv answered false)');
    });

    it('with throwOnErrors: every lookup goes to WeChat, and the logger names each failed operation without a secret', async () => {
      const { emulator, lines } = await exercise(true);
      expect(emulator.calls('/cgi-bin/stable_token')).to.equal(1);
      expect(emulator.calls('/cgi-bin/user/info/batchget')).to.equal(2);
      for (const operation of ['read', 'write', 'delete']) {
        expect(
          lines.some((line) => line.includes(`the store failed to ${operation} a key (Error)`)),
          operation,
        ).to.equal(true);
      }
    });
  });
});
