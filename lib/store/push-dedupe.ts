/**
 * "Have we handled this push already?", for every process of the deployment: WeChat retries a push that was not
 * answered within 5 seconds, and may send the retry to another instance behind the load balancer.
 *
 * On a Redis store it is one `SET NX PX`, atomic across processes. On any other store it is a read, then a write:
 * exact within this process (a synchronous set of ids comes first), best effort between processes. A store that
 * fails or does not answer in time never turns a push away: the push is then handled as new.
 */
import type { Keyv } from 'keyv';
import { LRUCache } from 'lru-cache';
import type { CacheStore } from './cache-store.js';
import { pushKey } from './keys.js';
import { rawRedisKey, redisAdapterOf, type RedisAdapter } from './redis-client.js';

const RAW_PREFIX = 'koa-wechat-subscription-push';
/** Ids this process has claimed, so that two copies arriving together here are told apart without a store. */
const LOCAL_IDS = 10_000;

export class PushDedupe {
  readonly #store: CacheStore;
  readonly #redis: RedisAdapter | undefined;
  readonly #appId: string;
  readonly #local = new LRUCache<string, true>({ max: LOCAL_IDS });

  constructor(keyv: Keyv, store: CacheStore, appId: string) {
    this.#store = store;
    this.#redis = redisAdapterOf(keyv);
    this.#appId = appId;
  }

  /**
   * Claims `id` for `ttlMs`: true for the first claim (handle the push), false for a copy seen within that time.
   * @param id the push's identifying fields, hashed (it holds an openid, which has no business in a key).
   */
  async claim(id: string, ttlMs: number): Promise<boolean> {
    if (this.#local.has(id)) return false;
    this.#local.set(id, true, { ttl: ttlMs });
    const key = pushKey(this.#appId, id);
    const redis = this.#redis;
    if (redis !== undefined) {
      const answer = await this.#store.guard.run(
        'claim',
        async () =>
          (await redis.getClient()).set(rawRedisKey(redis, RAW_PREFIX, key), '1', {
            condition: 'NX',
            expiration: { type: 'PX', value: Math.ceil(ttlMs) },
          }),
        'OK',
      );
      return answer === 'OK';
    }
    if ((await this.#store.get(key)) !== undefined) return false;
    await this.#store.set(key, 1, ttlMs);
    return true;
  }
}
