/**
 * The lock seam for processes that share a store: acquire, double-check the store, fetch, release. Tested with
 * the in-memory lock; a Redis lock will implement the same two-method interface.
 */
import { expect } from 'chai';
import { Keyv } from 'keyv';
import sinon from 'sinon';
import { type TokenLock } from '../lib/index.js';
import { MemoryLock } from '../lib/tokens/lock.js';
import { rejectionOf } from './support/fixtures.js';
import { eventually } from './support/eventually.js';
import { createUsers, useWeChat, wechatCalls } from './support/services.js';

describe('tokens: the lock', () => {
  describe('MemoryLock', () => {
    it('lets one holder in at a time, in the order they came', async () => {
      const lock = new MemoryLock();
      const order: string[] = [];
      const hold = async (name: string) => {
        const release = await lock.acquire('key', 10);
        order.push(`${name} in`);
        await new Promise((resolve) => setImmediate(resolve));
        order.push(`${name} out`);
        await release();
      };
      await Promise.all([hold('a'), hold('b'), hold('c')]);
      expect(order).to.deep.equal(['a in', 'a out', 'b in', 'b out', 'c in', 'c out']);
    });

    it('locks of different names do not wait for each other', async () => {
      const lock = new MemoryLock();
      await lock.acquire('one', 10);
      const release = await lock.acquire('two', 10);
      await release();
    });

    it('frees itself after its ttl when a holder never releases (a crashed process)', async () => {
      const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      try {
        const lock = new MemoryLock();
        await lock.acquire('key', 30);
        let second = false;
        const waiting = lock.acquire('key', 30).then(() => (second = true));
        await clock.tickAsync(29_000);
        expect(second).to.equal(false);
        await clock.tickAsync(2_000);
        await waiting;
        expect(second).to.equal(true);
      } finally {
        clock.restore();
      }
    });

    it('a second release is harmless and does not free the next holder early', async () => {
      const lock = new MemoryLock();
      const first = await lock.acquire('key', 10);
      await first();
      const second = await lock.acquire('key', 10);
      await first();
      let third = false;
      const waiting = lock.acquire('key', 10).then(() => (third = true));
      await new Promise((resolve) => setImmediate(resolve));
      expect(third).to.equal(false);
      await second();
      await waiting;
    });
  });

  describe('the token service through a lock', () => {
    const harness = useWeChat();

    it('holds the lock around each fetch only, under a key with the app id and no secret', async () => {
      const { emulator } = await harness.start();
      const inner = new MemoryLock();
      const events: string[] = [];
      const recording: TokenLock = {
        async acquire(key, ttl) {
          events.push(`acquire ${key} ${ttl > 0 ? 'ttl' : 'no ttl'}`);
          const release = await inner.acquire(key, ttl);
          return async () => {
            events.push(`release (fetches so far: ${emulator.calls('/cgi-bin/token')})`);
            await release();
          };
        },
      };
      const wechat = harness.another({ tokenSource: 'classic', lock: recording, store: new Keyv() });
      await Promise.all(Array.from({ length: 10 }, () => wechat.tokens.get()));
      await wechat.tokens.get();
      expect(events).to.deep.equal([`acquire koa-wechat-subscription:${emulator.appId}:token:classic:lock ttl`, 'release (fetches so far: 1)']);
      expect(events.join()).to.not.include(emulator.appSecret);
    });

    it('releases the lock when the fetch fails', async () => {
      const { emulator } = await harness.start();
      const lock = new MemoryLock();
      const wechat = harness.another({ tokenSource: 'classic', lock });
      emulator.injectFault('/cgi-bin/token', 'quota');
      await rejectionOf(wechat.tokens.get());
      const release = await Promise.race([
        lock.acquire(`koa-wechat-subscription:${emulator.appId}:token:classic:lock`, 1),
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 500)),
      ]);
      expect(release, 'the lock is free again').to.be.a('function');
    });

    it('a lock that fails during a background refresh: the cached token serves, and the warning names only the error class and code', async () => {
      const clock = sinon.useFakeTimers({ toFake: ['Date'], now: Date.now() });
      try {
        const { emulator } = await harness.start();
        const warnings: string[] = [];
        let broken = false;
        const inner = new MemoryLock();
        const lock: TokenLock = {
          acquire: (key, ttl) =>
            broken ? Promise.reject(Object.assign(new Error(`AUTH ${emulator.appSecret} refused`), { code: 'ELOCK' })) : inner.acquire(key, ttl),
        };
        const wechat = harness.another({ lock, logger: { warn: (line) => warnings.push(line) } });
        const token = await wechat.tokens.get();
        broken = true;
        clock.tick(6950_000);
        expect(await wechat.tokens.get()).to.equal(token);
        await eventually(() => warnings.length === 1, 'the failed refresh is logged');
        expect(warnings[0]).to.include('Error ELOCK').and.not.include(emulator.appSecret);
      } finally {
        clock.restore();
      }
    });

    it('a lock that cannot be taken (its Redis down) does not take the site down: the token is fetched without it, and the warning names class and code only', async () => {
      const { emulator } = await harness.start();
      const warnings: string[] = [];
      const lock: TokenLock = {
        acquire: () => Promise.reject(Object.assign(new Error(`connect to redis://:${emulator.appSecret}@db refused`), { code: 'ECONNREFUSED' })),
      };
      const wechat = harness.another({ lock, logger: { warn: (line) => warnings.push(line) } });
      const [follower] = createUsers(emulator, 2).slice(1);
      const [token, status] = await Promise.all([wechat.tokens.get(), wechat.subscriptions.status(follower!.openid)]);
      expect(token).to.be.a('string');
      expect(status.subscribed).to.equal(true);
      expect(wechatCalls(emulator).tokenFetches, 'single-flight still holds in the process').to.equal(1);
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.include('could not be taken').and.include('Error ECONNREFUSED').and.not.include(emulator.appSecret);
    });

    it('a lock that cannot be released: the token is served, and the warning says the lock expires by itself', async () => {
      const { emulator } = await harness.start();
      const warnings: string[] = [];
      const inner = new MemoryLock();
      const lock: TokenLock = {
        acquire: async (key, ttl) => {
          await inner.acquire(key, ttl);
          return () => Promise.reject(new TypeError(`release with ${emulator.appSecret}`));
        },
      };
      const wechat = harness.another({ lock, logger: { warn: (line) => warnings.push(line) } });
      expect(await wechat.tokens.get()).to.be.a('string');
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.include('could not be released').and.include('TypeError').and.not.include(emulator.appSecret);
    });

    it('double-checks the store after taking the lock: a waiter finds the token the holder stored', async () => {
      const { emulator } = await harness.start();
      const store = new Keyv();
      const lock = new MemoryLock();
      const services = [harness.another({ tokenSource: 'classic', store, lock }), harness.another({ tokenSource: 'classic', store, lock })];
      const [a, b] = await Promise.all(services.map((wechat) => wechat.tokens.get()));
      expect(a).to.equal(b);
      expect(emulator.calls('/cgi-bin/token')).to.equal(1);
    });
  });
});
