/**
 * The options of `createWeChat`: the client's, where tokens come from, how answers are cached, and the site's
 * (`SiteOptions`: where the callback is and what the follow page shows).
 * Parsed, defaulted and frozen once; an unknown or wrong option fails at start-up with its name.
 */
import type { Keyv } from 'keyv';
import type { WeChatClientOptions } from './client/options.js';
import { SITE_OPTION_NAMES, type SiteOptions } from './koa/options.js';
import { WeChatOptionsError } from './errors.js';
import { DEFAULT_CACHE_MAX_ENTRIES } from './store/memory-store.js';
import { DEFAULT_STORE_TIMEOUT_MS } from './store/store-guard.js';
import type { TokenSource } from './tokens/fetched-tokens.js';
import type { TokenLock } from './tokens/lock.js';
import type { TokenProvider } from './tokens/provided-tokens.js';
import type { Logger } from './util/logger.js';
import { describeValue, rejectUnknownOptions, requireCount, requireSeconds } from './util/option-checks.js';

export interface WeChatOptions extends WeChatClientOptions, SiteOptions {
  /**
   * Where the global access token comes from. Default `'stable'`: `POST /cgi-bin/stable_token`, which hands
   * every caller the same token, so it does not fight other systems using the app. `'classic'` is the recipe's
   * `/cgi-bin/token`: each fetch retires the token others hold.
   */
  tokenSource?: TokenSource;
  /** Read-only mode: a central service owns the token and this resolves with it. No token is ever fetched here. */
  tokenProvider?: TokenProvider;
  /**
   * A Keyv instance for tokens and statuses, such as `new Keyv(new KeyvRedis(url))`; share it between processes.
   * Default: an in-memory LRU of `cacheMaxEntries` entries, for one process.
   */
  store?: Keyv;
  /**
   * The lock around token fetches, shared by the processes that share `store`. Default: with a `@keyv/redis`
   * store, a Redis lock on that store's client; otherwise a lock for this process.
   */
  lock?: TokenLock;
  /**
   * Seconds a store call (read, write, the lock) may take. Past it a read is a miss, a write is dropped and the
   * lock falls back to this process's single flight; one warning says so. Default 0.25.
   */
  storeTimeout?: number;
  /** Seconds a "following" answer is trusted before WeChat is asked again. Default 300. */
  statusTtl?: number;
  /** Seconds a "not following" answer is trusted: short, so that a visitor who just followed is let in. Default 15. */
  unsubscribedTtl?: number;
  /** Seconds a lookup waits for others to share one batchget call. Default 0.002; 0 means the current tick. */
  batchWindow?: number;
  /** The bound of the in-memory default store, in entries. Default 10,000. Ignored when `store` is given. */
  cacheMaxEntries?: number;
  /** Receives warnings about trouble the library recovered from. Default: `NODE_DEBUG=koa-wechat-subscription`. */
  logger?: Logger;
}

/** The options of the services, validated and frozen (the client's are validated by the client). */
export interface ResolvedServiceOptions {
  readonly tokenSource: TokenSource | 'provider';
  readonly statusTtl: number;
  readonly unsubscribedTtl: number;
  readonly batchWindow: number;
  readonly cacheMaxEntries: number;
  readonly storeTimeout: number;
}

const CLIENT_OPTION_NAMES = ['appId', 'appSecret', 'apiBaseUrl', 'oauthBaseUrl', 'timeout', 'retry'] as const;
const SERVICE_OPTION_NAMES = [
  'tokenSource',
  'tokenProvider',
  'store',
  'lock',
  'statusTtl',
  'unsubscribedTtl',
  'batchWindow',
  'cacheMaxEntries',
  'storeTimeout',
  'logger',
] as const;
export const WECHAT_OPTION_NAMES: readonly string[] = [...CLIENT_OPTION_NAMES, ...SERVICE_OPTION_NAMES, ...SITE_OPTION_NAMES];

const DAY = 86_400;

export function resolveServiceOptions(options: WeChatOptions): ResolvedServiceOptions {
  if (options === null || typeof options !== 'object') {
    throw new WeChatOptionsError('options', 'expected an object with at least appId and appSecret');
  }
  rejectUnknownOptions(options, WECHAT_OPTION_NAMES);
  const { tokenSource, tokenProvider, store, lock, logger } = options;
  if (tokenProvider !== undefined && typeof tokenProvider !== 'function') {
    throw new WeChatOptionsError('tokenProvider', 'expected a function that resolves with the access token');
  }
  if (tokenProvider !== undefined && tokenSource !== undefined) {
    throw new WeChatOptionsError('tokenSource', 'cannot be combined with tokenProvider: the provider is the source');
  }
  if (tokenSource !== undefined && tokenSource !== 'stable' && tokenSource !== 'classic') {
    throw new WeChatOptionsError('tokenSource', `expected 'stable' or 'classic', got ${describeValue(tokenSource)}`);
  }
  if (store !== undefined && !isKeyvLike(store)) {
    throw new WeChatOptionsError(
      'store',
      'expected a Keyv instance, such as new Keyv(new KeyvRedis("redis://localhost:6379")); a bare store adapter must be wrapped in new Keyv(…)',
    );
  }
  if (lock !== undefined && (lock === null || typeof lock.acquire !== 'function')) {
    throw new WeChatOptionsError('lock', 'expected an object with acquire(key, ttl), resolving with a release function');
  }
  if (logger !== undefined && (logger === null || typeof logger.warn !== 'function')) {
    throw new WeChatOptionsError('logger', 'expected an object with a warn(message) method, such as console');
  }
  return Object.freeze({
    tokenSource: tokenProvider !== undefined ? 'provider' : (tokenSource ?? 'stable'),
    statusTtl: requireSeconds('statusTtl', options.statusTtl, 300, 0, DAY),
    unsubscribedTtl: requireSeconds('unsubscribedTtl', options.unsubscribedTtl, 15, 0, DAY),
    batchWindow: requireSeconds('batchWindow', options.batchWindow, 0.002, 0, 1),
    cacheMaxEntries: requireCount('cacheMaxEntries', options.cacheMaxEntries, DEFAULT_CACHE_MAX_ENTRIES, 10_000_000, 1),
    storeTimeout: requireSeconds('storeTimeout', options.storeTimeout, DEFAULT_STORE_TIMEOUT_MS / 1000, 0.001, 60),
  });
}

function isKeyvLike(store: unknown): store is Keyv {
  if (store === null || typeof store !== 'object') return false;
  const keyv = store as Record<string, unknown>;
  // A Keyv instance wraps an adapter in `.store`; a bare adapter (new KeyvRedis()) would store objects unserialized.
  return ['get', 'set', 'delete'].every((method) => typeof keyv[method] === 'function') && 'store' in keyv;
}
