/**
 * The Redis lock a `@keyv/redis` store implies, against a real Redis: one holder at a time, a random value
 * released only by its holder (a holder whose lease ran out cannot delete the next one's lock), its own key
 * prefix with Keyv's namespace, no token in key or value, and `unavailable` (not a wait) when Redis is away.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import KeyvRedis from '@keyv/redis';
import { expect } from 'chai';
import { Keyv } from 'keyv';
import { redisAdapterOf } from '../lib/store/redis-client.js';
import { RedisLock } from '../lib/tokens/redis-lock.js';
import { StoreGuard } from '../lib/store/store-guard.js';
import { createMemoryStore } from '../lib/store/memory-store.js';
import { REDIS_URL, requireRedis } from './support/redis.js';
import { sparePort } from './support/redis-server.js';

describe('tokens: the Redis lock', () => {
  before(async function () {
    await requireRedis(this, 'tokens.redis-lock.test.ts', 'to test the Redis lock');
  });

  let keyv: Keyv;
  let namespace: string;
  beforeEach(() => {
    namespace = `kws-test-${randomUUID()}`;
    keyv = new Keyv(new KeyvRedis(REDIS_URL), { namespace });
  });
  afterEach(async () => {
    await keyv.disconnect();
  });

  const lockOf = (store: Keyv, lines: string[] = []) =>
    new RedisLock(redisAdapterOf(store)!, new StoreGuard(250, { warn: (line) => lines.push(line) }));
  const raw = async (key: string) => (await (keyv.store as KeyvRedis<unknown>).getClient()).get(key);

  it('is found on a @keyv/redis store only', () => {
    expect(redisAdapterOf(keyv)).not.to.equal(undefined);
    expect(redisAdapterOf(createMemoryStore())).to.equal(undefined);
  });

  it('one holder at a time; the key is under its own prefix and Keyv’s namespace, the value random hex', async () => {
    const lock = lockOf(keyv);
    const first = await lock.attempt('koa-wechat-subscription:wx1:token:classic:lock', 5);
    expect(first).to.be.a('function');
    expect(await lock.attempt('koa-wechat-subscription:wx1:token:classic:lock', 5)).to.equal('held');
    const value = await raw(`koa-wechat-subscription-lock:${namespace}:koa-wechat-subscription:wx1:token:classic:lock`);
    expect(value).to.match(/^[0-9a-f]{32}$/);
    await (first as () => Promise<void>)();
    expect(await raw(`koa-wechat-subscription-lock:${namespace}:koa-wechat-subscription:wx1:token:classic:lock`)).to.equal(null);
    expect(await lock.attempt('koa-wechat-subscription:wx1:token:classic:lock', 5)).to.be.a('function');
  });

  it('a holder whose lease ran out does not release the next holder’s lock', async () => {
    const lock = lockOf(keyv);
    const stale = (await lock.attempt('k', 0.05)) as () => Promise<void>;
    await sleep(120);
    const next = await lock.attempt('k', 5);
    expect(next).to.be.a('function');
    await stale();
    expect(await lock.attempt('k', 5), 'still held by the next holder').to.equal('held');
  });

  it('acquire() waits for the holder, and gets the lock once it is given back', async () => {
    const lock = lockOf(keyv);
    const holder = (await lock.attempt('k', 5)) as () => Promise<void>;
    let got = false;
    const waiting = lock.acquire('k', 5).then((release) => {
      got = true;
      return release;
    });
    await sleep(100);
    expect(got).to.equal(false);
    await holder();
    await (
      await waiting
    )();
    expect(got).to.equal(true);
  });

  it('with nothing listening, an attempt answers unavailable within the bound, and says so once', async () => {
    const away = new Keyv(new KeyvRedis(`redis://127.0.0.1:${await sparePort()}`), { namespace });
    away.on('error', () => undefined);
    const lines: string[] = [];
    const lock = lockOf(away, lines);
    const started = performance.now();
    for (let index = 0; index < 5; index++) expect(await lock.attempt('k', 5)).to.equal('unavailable');
    // A bound with generous slack, not a performance claim.
    expect(performance.now() - started).to.be.below(3000);
    expect(lines.filter((line) => line.includes('token lock'))).to.have.length(1);
    await away.disconnect().catch(() => undefined);
  });
});
