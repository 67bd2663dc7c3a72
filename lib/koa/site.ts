/** The Koa face of one AppID's services: `routes()` for the dedicated callback path, `requireSubscription()` for any route. */
import type { Middleware } from 'koa';
import { resolveGateOptions } from '../options.js';
import type { GateOptions } from '../types.js';
import { createCallbackRoute, createGate } from './gate.js';
import { createPushEndpoint } from './push-endpoint.js';
import type { SiteServices } from './site-services.js';

export interface WeChatSite {
  /**
   * The endpoints the site serves at paths of its own: the push endpoint at `push.path`, and the dedicated
   * `callbackPath`, when they are set. Mount it with `app.use`, before the gated routes and any body parser.
   * Every other request is passed on.
   */
  routes(): Middleware;
  /**
   * Middleware that knows the visitor and whether they follow, for a route or the whole app: it sets
   * `ctx.state.openid`, `ctx.state.isConcern`, `ctx.state.snapshotUser` and `ctx.state.wechatUser`. It needs
   * nothing else mounted: WeChat returns the visitor to the gated URL, which it completes. Every route shares
   * one token and one cache.
   * @throws {WeChatOptionsError} when an option is wrong.
   */
  requireSubscription(options?: GateOptions): Middleware;
}

export function createSite(site: SiteServices): WeChatSite {
  const push = createPushEndpoint(site);
  const routes = createCallbackRoute(site, push);
  return {
    routes: () => routes,
    requireSubscription: (options: GateOptions = {}) => createGate(site, resolveGateOptions(options, site.services.options.statusTtl), push),
  };
}
