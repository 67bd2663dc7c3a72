/**
 * The default store: a bounded LRU behind Keyv, so that a million distinct visitors cannot grow memory without
 * bound. It lives in one process; several processes need a shared store (Redis), hence the warning.
 */
import { Keyv } from 'keyv';
import { LRUCache } from 'lru-cache';

/** The default bound of the in-memory store, in entries (one per token and per visitor's status). */
export const DEFAULT_CACHE_MAX_ENTRIES = 10_000;

/** A Keyv over an LRU of at most `maxEntries` entries; entries also expire with the TTL Keyv is given. */
export function createMemoryStore(maxEntries: number = DEFAULT_CACHE_MAX_ENTRIES): Keyv {
  const lru = new LRUCache<string, NonNullable<unknown>>({ max: maxEntries });
  // Keyv's Map-like store protocol, with Keyv's TTL handed on to the LRU so that expired entries leave early.
  const store = {
    get: (key: string) => lru.get(key),
    set: (key: string, value: NonNullable<unknown>, ttl?: number) => {
      lru.set(key, value, typeof ttl === 'number' && ttl > 0 ? { ttl } : undefined);
      return true;
    },
    delete: (key: string) => lru.delete(key),
    clear: () => lru.clear(),
    /** For tests and metrics: how many entries the LRU holds. */
    get size() {
      return lru.size;
    },
  };
  return new Keyv({ store, namespace: '' });
}

let warnedAboutProduction = false;

/** Once per process: the in-memory default in production usually means each process has its own token. */
export function warnIfMemoryStoreInProduction(): void {
  if (warnedAboutProduction || process.env.NODE_ENV !== 'production') return;
  warnedAboutProduction = true;
  process.emitWarning(
    'koa-wechat-subscription uses its in-memory store: tokens and statuses are not shared between processes. ' +
      'Pass a shared store (for example new Keyv(new KeyvRedis(url))) when several processes serve the app.',
    { code: 'KWS_MEMORY_STORE' },
  );
}
