/**
 * The node-redis client under a `@keyv/redis` store, for the few atomic commands Keyv has no word for (`SET NX`
 * for the token lock and the push dedupe, a compare-and-delete script). Keyv's namespace is not applied to raw
 * commands, so each user writes it into its own keys.
 */
import type { Keyv } from 'keyv';

/** What the library needs of a node-redis client (v4 or v5), as `@keyv/redis`'s `getClient()` resolves it. */
export interface RedisClient {
  set(key: string, value: string, options: { condition: 'NX'; expiration: { type: 'PX'; value: number } }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** What the library needs of the Keyv adapter: `@keyv/redis` 4 and 5 have both. */
export interface RedisAdapter {
  getClient(): Promise<RedisClient>;
  namespace?: string;
}

/** The adapter of a Keyv whose store is `@keyv/redis` (or anything with the same `getClient()`), else undefined. */
export function redisAdapterOf(keyv: Keyv): RedisAdapter | undefined {
  const adapter = (keyv as { store?: unknown }).store as Partial<RedisAdapter> | undefined;
  return typeof adapter?.getClient === 'function' ? (adapter as RedisAdapter) : undefined;
}

/** `prefix:key`, or `prefix:namespace:key`: two deployments with different namespaces on one Redis share nothing. */
export function rawRedisKey(adapter: RedisAdapter, prefix: string, key: string): string {
  const namespace = adapter.namespace;
  return namespace === undefined || namespace === '' ? `${prefix}:${key}` : `${prefix}:${namespace}:${key}`;
}
