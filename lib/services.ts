/**
 * The services of one Official Account (client, the one token interface, subscription lookups, code exchanges),
 * and the registry that gives every `createWeChat()` and `requireSubscription()` of an AppID in this process the
 * same set. Two sets for one AppID would keep two token caches, and with classic tokens retire each other's
 * token every few minutes.
 */
import type { Keyv } from 'keyv';
import { WeChatClient } from './client/client.js';
import { resolveClientOptions } from './client/options.js';
import { WeChatOptionsError } from './errors.js';
import { resolveServiceOptions, SERVICE_OPTION_NAMES, type ResolvedServiceOptions } from './options.js';
import { PushInbox } from './push/inbox.js';
import { Exchanges } from './sign-in/exchanges.js';
import { CacheStore } from './store/cache-store.js';
import { createMemoryStore, warnIfMemoryStoreInProduction } from './store/memory-store.js';
import { Profiles } from './store/profiles.js';
import { PushDedupe } from './store/push-dedupe.js';
import { Scenes } from './store/scenes.js';
import { Subscriptions } from './subscriptions/subscriptions.js';
import type { AccessTokens } from './tokens/access-tokens.js';
import { FetchedTokens } from './tokens/fetched-tokens.js';
import { processLock } from './tokens/lock.js';
import { redisAdapterOf } from './store/redis-client.js';
import { RedisLock } from './tokens/redis-lock.js';
import { ProvidedTokens } from './tokens/provided-tokens.js';
import type { ServiceOptions } from './types.js';
import { debugLogger, type Logger } from './util/logger.js';

export interface Services {
  readonly client: WeChatClient;
  readonly tokens: AccessTokens;
  readonly subscriptions: Subscriptions;
  readonly profiles: Profiles;
  readonly exchanges: Exchanges;
  /** What pushes change (follows, unfollows), once per push across the processes that share the store. */
  readonly pushes: PushInbox;
  /** Who followed or scanned through a parametric QR code, by scene, as pushes said. */
  readonly scenes: Scenes;
  /** Where warnings go: `logger`, or `NODE_DEBUG=koa-wechat-subscription`. */
  readonly logger: Logger;
  /** The Keyv given as `store`, or the in-memory default. */
  readonly store: Keyv;
  readonly options: ResolvedServiceOptions;
  /** Waits for the lookups under way, then closes the client's connections. */
  close(): Promise<void>;
}

/** A holder's share of one AppID's services; `release()` closes them once the last holder has released. */
export interface SharedServices {
  readonly services: Services;
  release(): Promise<void>;
}

interface Entry {
  services: Services;
  settings: Map<string, unknown>;
  holders: number;
}

const registry = new Map<string, Entry>();

/**
 * This AppID's services in this process: the ones already made, or new ones. Conflicting options are refused.
 * Keyed by AppID and WeChat's addresses: an emulator (in tests) is another WeChat, with tokens of its own.
 */
export function shareServices(options: ServiceOptions): SharedServices {
  const settings = settingsOf(options);
  const appId = options.appId;
  const key = `${appId} ${String(settings.get('apiBaseUrl'))} ${String(settings.get('oauthBaseUrl'))}`;
  let entry = registry.get(key);
  if (entry === undefined) {
    entry = { services: createServices(options), settings, holders: 0 };
    registry.set(key, entry);
  } else {
    const conflict = [...settings].find(([name, value]) => entry!.settings.get(name) !== value);
    // The value is never quoted: it may be the secret.
    if (conflict !== undefined) {
      throw new WeChatOptionsError(
        conflict[0],
        `differs from what another createWeChat() or requireSubscription() of ${appId} in this process was given. One AppID has one set of services per process (one token, one cache), so their service options must agree: create the services once with createWeChat(), and use wechat.requireSubscription(routeOptions) per route`,
      );
    }
  }
  const held = entry;
  held.holders += 1;
  let released = false;
  return {
    services: held.services,
    async release() {
      if (released) return;
      released = true;
      held.holders -= 1;
      if (held.holders > 0) return;
      if (registry.get(key) === held) registry.delete(key);
      await held.services.close();
    },
  };
}

/**
 * New services that share nothing with the registry's: what another process would have. For tests of several
 * processes in one; a site uses `shareServices`.
 */
export function createServices(options: ServiceOptions): Services {
  const resolved = resolveServiceOptions(options);
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
  const scenes = new Scenes(store, client.appId);
  return Object.freeze({
    client,
    tokens,
    subscriptions,
    profiles,
    exchanges: new Exchanges(client, store, profiles),
    pushes: new PushInbox({ subscriptions, profiles, scenes, dedupe: new PushDedupe(keyv, store, client.appId) }),
    scenes,
    logger,
    store: keyv,
    options: resolved,
    async close() {
      await subscriptions.settled();
      client.close();
    },
  });
}

/**
 * What must agree between two holders of one AppID, as resolved values (so that a default and the same value
 * given agree), objects by identity. Validating here first also means a wrong option fails before any sharing.
 */
function settingsOf(options: ServiceOptions): Map<string, unknown> {
  const { resolved, appSecret } = resolveClientOptions(options);
  const services = resolveServiceOptions(options);
  const given = options as unknown as Record<string, unknown>;
  const settings = new Map<string, unknown>();
  for (const name of SERVICE_OPTION_NAMES) {
    if (name === 'appId') continue;
    if (name === 'appSecret') settings.set(name, appSecret);
    else if (name === 'retry') settings.set(name, JSON.stringify(resolved.retry));
    else if (name in resolved) settings.set(name, resolved[name as keyof typeof resolved]);
    else if (name in services) settings.set(name, services[name as keyof ResolvedServiceOptions]);
    else settings.set(name, given[name]);
  }
  return settings;
}
