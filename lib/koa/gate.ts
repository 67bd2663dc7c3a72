/**
 * `requireSubscription()` for a route: knows the visitor from the session or sends them through WeChat, then
 * asks the shared subscription service and puts `openid`, `isConcern` and `wechatUser` on `ctx.state`.
 */
import type { Context, Middleware, Next } from 'koa';
import { WeChatApiError, WeChatError, WeChatSetupError, WeChatStatusUnknownError } from '../errors.js';
import type { SubscriptionStatus } from '../subscriptions/subscriptions.js';
import { html } from '../util/html.js';
import type { ResolvedGateOptions } from './options.js';
import { ANSWERS, answer, answerUnavailable } from './pages.js';
import { inWeChat, wantsJson } from './request.js';
import { safeReturnTo } from './return-to.js';
import { readSession, sessionOf, usableIdentity, type SessionHolder, type WeChatIdentity, type WeChatSessionData } from './session.js';
import { beginSignIn, redirectNoStore } from './sign-in.js';
import type { SiteServices } from './site-services.js';
import type { WeChatUser } from './visitor.js';

export function createGate(services: SiteServices, gate: ResolvedGateOptions): Middleware {
  return async function requireSubscription(ctx: Context, next: Next): Promise<void> {
    // A CORS preflight carries no cookie and is not the request itself: gating it would break credentialed calls.
    if (ctx.method === 'OPTIONS') {
      await next();
      return;
    }
    // Gating WeChat's callback would send it to WeChat again, for ever.
    if (ctx.path === services.site.callbackPath) {
      throw new WeChatSetupError('requireSubscription() received WeChat\'s callback: mount wechat.routes() before it, as in `app.use(wechat.routes())`.');
    }
    const session = sessionOf(ctx);
    if (services.site.onlyInWeChat && !inWeChat(ctx)) return answer(ctx, ANSWERS.openInWeChat);
    const now = Date.now();
    const data = readSession(session, now);
    const identity = usableIdentity(data, gate.scope, gate.maxAge, now);
    if (identity === undefined) return askToSignIn(ctx, services, gate, session, data, now);

    let status: SubscriptionStatus;
    try {
      status = await services.subscriptions.status(identity.openid, { snapshotUser: identity.snapshotUser === true, maxAge: gate.statusTtl });
    } catch (error) {
      if (!(error instanceof WeChatError)) throw error;
      if (isDisowned(error) && data.disowned !== identity.openid) {
        // WeChat says the openid is not this account's (40003): a session from another AppID, or a test user the
        // emulator no longer has. Sign in again, once: if WeChat's sign-in gives the same openid back, the
        // authorization and the API disagree (a setup problem), and the visitor gets the page below, not a loop.
        const rest: WeChatSessionData = { ...data, identity: undefined, disowned: identity.openid };
        return askToSignIn(ctx, services, gate, session, rest, now);
      }
      // Never a silent `false`: either the visitor is told WeChat could not say, or the route decides with `undefined`.
      if (gate.onUnknown === 'deny') return answerUnavailable(ctx, error);
      ctx.app.emit('error', error, ctx);
      ctx.state.openid = identity.openid;
      ctx.state.isConcern = undefined;
      ctx.state.wechatUser = undefined;
      await next();
      return;
    }

    ctx.state.openid = identity.openid;
    ctx.state.isConcern = status.subscribed;
    ctx.state.wechatUser = await visitorOf(services, identity, status);
    if (gate.enforce && !status.subscribed) {
      if (gate.onNotSubscribed !== undefined) {
        await gate.onNotSubscribed(ctx);
        return;
      }
      return answer(ctx, ANSWERS.notSubscribed, { extra: followPrompt(services) });
    }
    await next();
  };
}

/**
 * No usable identity. A page is sent through WeChat at once; an API call gets 401 with the URL to send the
 * browser to, since a script cannot follow a redirect to WeChat. A form post is never redirected (its body
 * would be lost): it is told to sign in, and comes back to the home page.
 */
function askToSignIn(ctx: Context, services: SiteServices, gate: ResolvedGateOptions, session: SessionHolder, data: WeChatSessionData, now: number): void {
  const isRead = ctx.method === 'GET' || ctx.method === 'HEAD';
  const returnTo = isRead ? safeReturnTo(ctx.originalUrl) : '/';
  const authorizeUrl = beginSignIn(ctx, services, session, data, { returnTo, scope: gate.scope }, now);
  if (isRead && !wantsJson(ctx)) return redirectNoStore(ctx, authorizeUrl);
  answer(ctx, ANSWERS.signInRequired, { json: { authorizeUrl }, action: { href: authorizeUrl, label: '微信登录 · Sign in with WeChat' } });
}

function isDisowned(error: WeChatError): boolean {
  return error instanceof WeChatStatusUnknownError && error.cause instanceof WeChatApiError && error.cause.category === 'openid';
}

async function visitorOf(services: SiteServices, identity: WeChatIdentity, status: SubscriptionStatus): Promise<WeChatUser> {
  if (identity.scope !== 'snsapi_userinfo' || identity.snapshotUser === true) return status.user;
  const profile = await services.profiles.load(identity.openid);
  return profile === undefined ? status.user : { ...status.user, ...profile, openid: identity.openid, subscribe: status.user.subscribe } as WeChatUser;
}

function followPrompt(services: SiteServices) {
  const { accountName, qrCodeUrl } = services.site;
  return html`<p>长按识别二维码关注「${accountName}」，然后刷新此页。</p>
<p class="en">Follow ${accountName} (long-press the QR code in WeChat), then reload this page.</p>
${qrCodeUrl === undefined ? '' : html`<img class="qr" src="${qrCodeUrl}" alt="QR code of ${accountName}">`}`;
}
