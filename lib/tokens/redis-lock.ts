/**
 * The token lock of a Redis-backed Keyv store, on the client `@keyv/redis` already holds: `SET key value NX PX`
 * with a random value, given back by a compare-and-delete script, so that a holder whose lease ran out can never
 * delete the next holder's lock. Every call goes through the store's guard: a Redis that does not answer makes
 * the lock `unavailable`, and the caller falls back to this process's single flight.
 *
 * The key has its own prefix: Keyv's namespace is not applied to raw commands, so it is written into the key,
 * and two deployments with different namespaces on one Redis do not share a lock. The key and the value never
 * hold a token or the secret.
 */
import { randomBytes } from 'node:crypto';
import { rawRedisKey, type RedisAdapter } from '../store/redis-client.js';
import type { StoreGuard } from '../store/store-guard.js';
import { pause } from '../util/pause.js';
import type { PollingLock, ReleaseLock, TokenLock } from './lock.js';

const LOCK_PREFIX = 'koa-wechat-subscription-lock';

// Deletes the lock only if it still holds our value: after our lease ran out, it may be another process's.
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/** How long an `acquire()` caller waits between attempts: grows from the first to the last, with jitter. */
const FIRST_WAIT_MS = 20;
const LAST_WAIT_MS = 200;

export class RedisLock implements TokenLock, PollingLock {
  readonly #adapter: RedisAdapter;
  readonly #guard: StoreGuard;

  constructor(adapter: RedisAdapter, guard: StoreGuard) {
    this.#adapter = adapter;
    this.#guard = guard;
  }

  /** One try: the release when we took the lock, `held` when another holds it, `unavailable` when Redis does not answer. */
  async attempt(key: string, ttl: number): Promise<ReleaseLock | 'held' | 'unavailable'> {
    const redisKey = this.#redisKey(key);
    const value = randomBytes(16).toString('hex');
    const answer = await this.#guard.run(
      'lock',
      async () => {
        const client = await this.#adapter.getClient();
        const taken = await client.set(redisKey, value, { condition: 'NX', expiration: { type: 'PX', value: Math.ceil(ttl * 1000) } });
        return taken === 'OK' ? ('taken' as const) : ('held' as const);
      },
      'unavailable' as const,
    );
    if (answer !== 'taken') return answer;
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      // A release that fails is harmless: the lease ends by itself.
      await this.#guard.run('lock', async () => (await this.#adapter.getClient()).eval(RELEASE, { keys: [redisKey], arguments: [value] }), 0);
    };
  }

  /** For `lock: new RedisLock(…)` used on its own: waits, with growing pauses, until the lock is ours or unavailable. */
  async acquire(key: string, ttl: number): Promise<ReleaseLock> {
    const deadline = Date.now() + ttl * 1000;
    for (let wait = FIRST_WAIT_MS; ; wait = Math.min(wait * 1.5, LAST_WAIT_MS)) {
      const attempt = await this.attempt(key, ttl);
      if (typeof attempt === 'function') return attempt;
      // Past the holder's lease, or with Redis away, there is nobody to wait for.
      if (attempt === 'unavailable' || Date.now() > deadline) return () => Promise.resolve();
      await pause(wait);
    }
  }

  #redisKey(key: string): string {
    return rawRedisKey(this.#adapter, LOCK_PREFIX, key);
  }
}
