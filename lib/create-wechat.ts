/**
 * `createWeChat(options)`: the services one Official Account needs, created once and shared by every route:
 * the client, the one token interface, and the subscription lookups.
 */
import type { Keyv } from 'keyv';
import { WeChatClient } from './client/client.js';
import { resolveSiteOptions, type ResolvedSiteOptions } from './koa/options.js';
import { Profiles } from './koa/profiles.js';
import { createSite, type WeChatSite } from './koa/site.js';
import { resolveServiceOptions, type ResolvedServiceOptions, type WeChatOptions } from './options.js';
import { CacheStore } from './store/cache-store.js';
import { createMemoryStore, warnIfMemoryStoreInProduction } from './store/memory-store.js';
import { RedisLock, redisAdapterOf } from './tokens/redis-lock.js';
import { Subscriptions } from './subscriptions/subscriptions.js';
import type { AccessTokens } from './tokens/access-tokens.js';
import { FetchedTokens } from './tokens/fetched-tokens.js';
import { processLock } from './tokens/lock.js';
import { ProvidedTokens } from './tokens/provided-tokens.js';
import { debugLogger } from './util/logger.js';

/** The shared services of one Official Account. Create one per app id and process; `close()` at shutdown. */
export interface WeChat extends WeChatSite {
  /** The typed HTTP client, for calls this library does not wrap. */
  readonly client: WeChatClient;
  /** The one token interface: `get()`, `renew(failed)`, `withToken(call)`. */
  readonly tokens: AccessTokens;
  /** `status(openid)`, and `forget`/`record` for push events. */
  readonly subscriptions: Subscriptions;
  /** The store of tokens and statuses: the one given as `store`, or the in-memory default. Yours to close. */
  readonly store: Keyv;
  /** The services' options, validated and frozen (`client.options` has the client's). */
  readonly options: ResolvedServiceOptions;
  /** The site's options, validated and frozen. */
  readonly site: ResolvedSiteOptions;
  /** Waits for the lookups under way, then closes the client's connections. The store is the caller's to close. */
  close(): Promise<void>;
}

/**
 * Creates the services. Throws {@link WeChatOptionsError} when an option is missing, misspelt or wrong.
 *
 * ```ts
 * const wechat = createWeChat({ appId, appSecret });
 * app.use(wechat.routes());
 * router.get('/members', wechat.requireSubscription({ enforce: true }), members);
 * const { subscribed } = await wechat.subscriptions.status(openid); // outside Koa
 * ```
 */
export function createWeChat(options: WeChatOptions): WeChat {
  const resolved = resolveServiceOptions(options);
  const site = resolveSiteOptions(options);
  const client = new WeChatClient({
    appId: options.appId,
    appSecret: options.appSecret,
    apiBaseUrl: options.apiBaseUrl,
    oauthBaseUrl: options.oauthBaseUrl,
    timeout: options.timeout,
    retry: options.retry,
  });
  const logger = options.logger ?? debugLogger;
  if (options.store === undefined) warnIfMemoryStoreInProduction();
  const keyv = options.store ?? createMemoryStore(resolved.cacheMaxEntries);
  const store = new CacheStore(keyv, logger, resolved.storeTimeout * 1000);
  // A shared store implies a shared lock: a Redis store brings its Redis lock, on the same client and guard.
  const redis = redisAdapterOf(keyv);
  const lock = options.lock ?? (redis !== undefined ? new RedisLock(redis, store.guard) : processLock);
  const tokens: AccessTokens =
    options.tokenProvider !== undefined
      ? new ProvidedTokens(options.tokenProvider)
      : new FetchedTokens({ client, source: resolved.tokenSource === 'classic' ? 'classic' : 'stable', store, lock, logger });
  const subscriptions = new Subscriptions({
    client,
    tokens,
    store,
    statusTtl: resolved.statusTtl,
    unsubscribedTtl: resolved.unsubscribedTtl,
    batchWindowMs: resolved.batchWindow * 1000,
  });
  const profiles = new Profiles(store, client.appId);
  return Object.freeze({
    client,
    tokens,
    subscriptions,
    store: keyv,
    options: resolved,
    site,
    ...createSite({ client, subscriptions, profiles, site, statusTtl: resolved.statusTtl }),
    async close() {
      await subscriptions.settled();
      client.close();
    },
  });
}
