/** The Koa face of the shared services: `routes()` for the callback, `requireSubscription()` for any route. */
import type { Middleware } from 'koa';
import { createCallback } from './callback.js';
import { createGate } from './gate.js';
import { GATE_OPTION_NAMES, resolveGateOptions, type GateOptions } from './options.js';
import type { SiteServices } from './site-services.js';
import { rejectUnknownOptions } from '../util/option-checks.js';

export interface WeChatSite {
  /** The endpoints the site must serve, today the OAuth callback (`callbackPath`). Mount it before the gated routes. */
  routes(): Middleware;
  /**
   * Middleware that knows the visitor and whether they follow, for a route or the whole app: it sets
   * `ctx.state.openid`, `ctx.state.isConcern` and `ctx.state.wechatUser`. Every route shares one token and one cache.
   * @throws {WeChatOptionsError} when an option is wrong.
   */
  requireSubscription(options?: GateOptions): Middleware;
}

export function createSite(services: SiteServices): WeChatSite {
  const callback = createCallback(services);
  return {
    routes: () => callback,
    requireSubscription(options: GateOptions = {}) {
      rejectUnknownOptions(options ?? {}, GATE_OPTION_NAMES);
      return createGate(services, resolveGateOptions(options, services.statusTtl));
    },
  };
}
