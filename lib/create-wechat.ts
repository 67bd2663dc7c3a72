/**
 * The two ways in: `createWeChat(options)` for explicit wiring, and the one-line `requireSubscription(options)`.
 * Both take this AppID's services from the process-wide registry, so every mounting shares one token, one
 * lock and one cache; each has its own site options (callback path, follow page).
 */
import type { Keyv } from 'keyv';
import type { Middleware } from 'koa';
import type { WeChatClient } from './client/client.js';
import { createSite, type WeChatSite } from './koa/site.js';
import { checkWeChatOptionNames, resolveSiteOptions, splitDropInOptions, type ResolvedServiceOptions, type ResolvedSiteOptions } from './options.js';
import { createServices, shareServices, type Services } from './services.js';
import type { Subscriptions } from './subscriptions/subscriptions.js';
import type { AccessTokens } from './tokens/access-tokens.js';
import type { RequireSubscriptionOptions, WeChatOptions } from './types.js';

/** One AppID's services, with a Koa face; `close()` at shutdown. */
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
  /**
   * Lets go of the services. The last holder of an AppID's services waits for the lookups under way, then
   * closes the client's connections. The store is the caller's to close.
   */
  close(): Promise<void>;
}

/** The one-line middleware, with the services it shares: `wechat.subscriptions.record()` for push events, `wechat.close()` at shutdown. */
export type DropInMiddleware = Middleware & { readonly wechat: WeChat };

/**
 * Takes this AppID's services (made on first use). Throws {@link WeChatOptionsError} when an option is missing,
 * misspelt or wrong, or when a service option differs from what another mounting of the AppID was given.
 *
 * ```ts
 * const wechat = createWeChat({ appId, appSecret });
 * router.get('/members', wechat.requireSubscription({ enforce: true }), members);
 * const { subscribed } = await wechat.subscriptions.status(openid); // outside Koa
 * ```
 */
export function createWeChat(options: WeChatOptions): WeChat {
  checkWeChatOptionNames(options);
  const site = resolveSiteOptions(options);
  const shared = shareServices(options);
  return faceOf(shared.services, site, () => shared.release());
}

/**
 * ```ts
 * app.keys = [process.env.SESSION_KEY];
 * app.use(session(app));
 * app.use(requireSubscription({ appId, appSecret }));            // every request, or:
 * router.get('/members', requireSubscription({ appId, appSecret, enforce: true }), members);
 * ```
 * @throws {WeChatOptionsError} when an option is missing, misspelt or wrong.
 */
export function requireSubscription(options: RequireSubscriptionOptions): DropInMiddleware {
  const { wechat: wechatOptions, gate } = splitDropInOptions(options as unknown as Record<string, unknown>);
  const wechat = createWeChat(wechatOptions as unknown as WeChatOptions);
  return Object.assign(wechat.requireSubscription(gate), { wechat });
}

/**
 * Services of their own, outside the registry: what another process of the deployment would have. For tests
 * that play several processes in one; a site uses `createWeChat()`.
 */
export function createWeChatOfItsOwn(options: WeChatOptions): WeChat {
  checkWeChatOptionNames(options);
  const site = resolveSiteOptions(options);
  const services = createServices(options);
  return faceOf(services, site, () => services.close());
}

function faceOf(services: Services, site: ResolvedSiteOptions, close: () => Promise<void>): WeChat {
  return Object.freeze({
    client: services.client,
    tokens: services.tokens,
    subscriptions: services.subscriptions,
    store: services.store,
    options: services.options,
    site,
    ...createSite({ services, site }),
    close,
  });
}
