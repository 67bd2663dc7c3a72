/**
 * `requireSubscription()` for a route, or a whole app: completes WeChat's return to the gated URL, knows the
 * visitor from the session or sends them through WeChat, then asks the shared subscription service and puts
 * `openid`, `isConcern`, `snapshotUser` and `wechatUser` on `ctx.state`. Every method is gated, OPTIONS and
 * HEAD included: nothing reaches the route without a checked identity.
 */
import type { Context, Middleware, Next } from 'koa';
import { WeChatApiError, WeChatError, WeChatStatusUnknownError } from '../errors.js';
import type { ResolvedGateOptions } from '../options.js';
import type { GatedRequest } from '../sign-in/decide.js';
import type { WeChatIdentity } from '../sign-in/record.js';
import { safeReturnTo } from '../sign-in/return-to.js';
import type { SubscriptionStatus } from '../subscriptions/subscriptions.js';
import type { WeChatUser } from '../types.js';
import { answer, answerUnavailable } from './pages.js';
import type { PushEndpoint } from './push-endpoint.js';
import { pendingFor } from './sign-in-cookies.js';
import { browserPath, cleanPath, inWeChat, isRead, signInReturn, wantsJson } from './request.js';
import { SignInFlow } from './sign-in-flow.js';
import type { SiteServices } from './site-services.js';

export function createGate(site: SiteServices, gate: ResolvedGateOptions, push: PushEndpoint | undefined): Middleware {
  const { services } = site;
  return async function requireSubscription(ctx: Context, next: Next): Promise<void> {
    // WeChat's pushes carry no session: they are checked by their signature, never gated.
    if (push?.matches(ctx) === true) return push.serve(ctx);
    if (await servedSignInReturn(ctx, site)) return;
    const flow = new SignInFlow(ctx, site);
    if (site.site.onlyInWeChat && !inWeChat(ctx)) return answer(ctx, site.site, 'openInWeChat');
    const identity = flow.known(gate.scope, gate.signInMaxAge) ?? (await flow.gate(gatedRequest(ctx, gate)));
    if (identity === undefined) return;

    let status: SubscriptionStatus;
    try {
      status = await services.subscriptions.status(identity.openid, { snapshotUser: identity.snapshotUser === true, maxAge: gate.statusMaxAge });
    } catch (error) {
      if (!(error instanceof WeChatError)) throw error;
      if (isDisowned(error) && (await flow.disowned(identity.openid, gatedRequest(ctx, gate)))) return;
      // Never a silent `false`: either the visitor is told WeChat could not say, or the route decides with `undefined`.
      if (gate.onUnknown === 'deny') return answerUnavailable(ctx, site.site, error);
      ctx.app.emit('error', error, ctx);
      setState(ctx, identity, undefined, undefined);
      await next();
      return;
    }
    setState(ctx, identity, status.subscribed, await visitorOf(site, identity, status));
    if (gate.enforce && !status.subscribed) {
      if (gate.onNotSubscribed !== undefined) {
        await gate.onNotSubscribed(ctx);
        return;
      }
      return answer(ctx, site.site, 'notSubscribed');
    }
    await next();
  };
}

/**
 * `routes()`: the push endpoint and the dedicated callback path, for a site that has them. Without them, it
 * passes every request on.
 */
export function createCallbackRoute(site: SiteServices, push: PushEndpoint | undefined): Middleware {
  return async function wechatRoutes(ctx: Context, next: Next): Promise<void> {
    if (push?.matches(ctx) === true) return push.serve(ctx);
    if (!(await servedSignInReturn(ctx, site))) await next();
  };
}

/** WeChat's return, if this request is one: completed here, then the visitor goes to a clean URL. */
async function servedSignInReturn(ctx: Context, site: SiteServices): Promise<boolean> {
  const { callbackPath } = site.site;
  const back = signInReturn(ctx);
  if (callbackPath !== undefined) {
    // Only the dedicated path is WeChat's return: a gated URL's own `code` and `state` are the site's. The
    // path itself may be a gated page too: it is WeChat's return only with a `code` or a `state`.
    if (browserPath(ctx) !== callbackPath || (back === undefined && ctx.query.code === undefined)) return false;
    if (!isRead(ctx)) {
      ctx.set('Allow', 'GET, HEAD');
      ctx.status = 405;
      return true;
    }
    await new SignInFlow(ctx, site).complete(back?.state ?? '', back?.code, safeReturnTo(cleanPath(ctx)), '/');
    return true;
  }
  if (back === undefined || !isRead(ctx)) return false;
  // The clean URL becomes a Location: only ever a local path (`//evil.example` is another host to a browser).
  const here = safeReturnTo(cleanPath(ctx));
  // Without a code, a state is WeChat's only when this browser has that sign-in under way (a refusal).
  if (back.code === undefined && pendingFor(ctx, back.state, Date.now(), here) === undefined) return false;
  await new SignInFlow(ctx, site).complete(back.state, back.code, here, here);
  return true;
}

/**
 * A page is sent through WeChat at once; anything else gets 401 with the URL to send the browser to, since a
 * script cannot follow a redirect to WeChat, and a form's body would be lost. A form comes back to `/`. A CORS
 * preflight is answered 401 too: it carries no cookie, and a preflight let through would reach the route
 * unchecked. A CORS middleware mounted before the gate answers preflights.
 */
function gatedRequest(ctx: Context, gate: ResolvedGateOptions): Omit<GatedRequest, 'pending' | 'justCompleted'> {
  const read = isRead(ctx);
  return {
    scope: gate.scope,
    signInMaxAge: gate.signInMaxAge,
    respond: ctx.method === 'OPTIONS' ? 'deny' : read && !wantsJson(ctx) ? 'redirect' : 'challenge',
    returnTo: read ? safeReturnTo(cleanPath(ctx)) : '/',
  };
}

function setState(ctx: Context, identity: WeChatIdentity, isConcern: boolean | undefined, wechatUser: WeChatUser | undefined): void {
  ctx.state.openid = identity.openid;
  ctx.state.isConcern = isConcern;
  ctx.state.snapshotUser = identity.snapshotUser === true;
  ctx.state.wechatUser = wechatUser;
}

function isDisowned(error: WeChatError): boolean {
  return error instanceof WeChatStatusUnknownError && error.cause instanceof WeChatApiError && error.cause.category === 'openid';
}

async function visitorOf({ services }: SiteServices, identity: WeChatIdentity, status: SubscriptionStatus): Promise<WeChatUser> {
  if (identity.scope !== 'snsapi_userinfo' || identity.snapshotUser === true) return status.user;
  const profile = await services.profiles.load(identity.openid);
  return profile === undefined
    ? status.user
    : ({ ...status.user, ...profile, openid: identity.openid, subscribe: status.user.subscribe } as WeChatUser);
}
