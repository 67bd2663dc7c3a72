/**
 * The OAuth callback (`/wechat/callback`): checks the state, exchanges the code, and sends the visitor back to
 * a clean URL, so that the code never stays in the address bar (a reload would fail with 40163).
 */
import type { Context, Middleware, Next } from 'koa';
import type { OAuthTokenResponse } from '../client/types.js';
import { WeChatApiError, WeChatArgumentError, WeChatError, WeChatUnavailableError } from '../errors.js';
import { OPENID_PATTERN } from '../wechat/shapes.js';
import { ANSWERS, answer, answerUnavailable } from './pages.js';
import {
  isLive,
  PENDING_LIFETIME_MS,
  readSession,
  regenerate,
  sessionOf,
  usableIdentity,
  writeSession,
  type PendingSignIn,
  type SessionHolder,
  type WeChatIdentity,
  type WeChatSessionData,
} from './session.js';
import { beginSignIn, redirectNoStore } from './sign-in.js';
import type { SiteServices } from './site-services.js';
import { sameState } from './state-nonce.js';

/** The code was used already (a reload, a double callback) or has expired: a new sign-in can fix it. */
const CODE_REFUSED = new Set([40163, 40029]);

export function createCallback(services: SiteServices): Middleware {
  // WeChat may call back twice at once with one code, before the first answer has set the new cookie. Both
  // hold the same state of the same session, so they share one exchange instead of spending the code twice.
  // Keyed by state and code: a stolen code used with another session's state must not join the victim's.
  const exchanges = new Map<string, Promise<OAuthTokenResponse>>();
  const exchangeOnce = (state: string, code: string): Promise<OAuthTokenResponse> => {
    const key = `${state} ${code}`;
    let exchange = exchanges.get(key);
    if (exchange === undefined) {
      exchange = services.client.exchangeCode(code).finally(() => exchanges.delete(key));
      exchanges.set(key, exchange);
    }
    return exchange;
  };
  return async function wechatCallback(ctx: Context, next: Next): Promise<void> {
    if (ctx.path !== services.site.callbackPath) {
      await next();
      return;
    }
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      ctx.set('Allow', 'GET, HEAD');
      ctx.status = 405;
      return;
    }
    const session = sessionOf(ctx);
    const now = Date.now();
    const data = readSession(session, now);
    const state = single(ctx.query.state);
    const code = single(ctx.query.code);
    const index = state === undefined ? -1 : (data.pending ?? []).findIndex((pending) => sameState(pending.state, state));
    if (index === -1) return notOurs(ctx, session, data, state);

    const [pending] = data.pending!.splice(index, 1) as [PendingSignIn];
    // Single use: the state leaves the session before the code is exchanged, so that whatever the exchange
    // does, the same callback URL cannot be played again in this session.
    writeSession(session, data, now);
    if (code === undefined || !isLive(pending, now)) return retryOnce(ctx, services, session, data, pending, now);

    let grant: OAuthTokenResponse;
    try {
      grant = await exchangeOnce(pending.state, code);
    } catch (error) {
      // A code WeChat refused, or one it could never have issued (the client refuses to send it): ask again.
      const refused = (error instanceof WeChatApiError && CODE_REFUSED.has(error.errcode)) || error instanceof WeChatArgumentError;
      if (refused) return retryOnce(ctx, services, session, data, pending, now);
      if (error instanceof WeChatError) return answerUnavailable(ctx, error);
      throw error;
    }
    // An identity the next request would not accept would send the visitor round again, for ever.
    if (!OPENID_PATTERN.test(grant.openid)) return answerUnavailable(ctx, notAnOpenid());
    const identity: WeChatIdentity = { openid: grant.openid, scope: pending.scope, loginAt: now };
    if (grant.is_snapshotuser === 1) identity.snapshotUser = true;
    else if (pending.scope === 'snsapi_userinfo') {
      try {
        const profile = await services.client.fetchSnsUserInfo({ accessToken: grant.access_token, openid: grant.openid });
        await services.profiles.save(profile);
      } catch (error) {
        if (error instanceof WeChatError) return answerUnavailable(ctx, error);
        throw error;
      }
    }
    writeSession(session, { ...data, identity, completed: { state: pending.state, returnTo: pending.returnTo }, restartedAt: undefined }, now);
    await regenerate(session);
    redirectNoStore(ctx, pending.returnTo);
  };
}

/**
 * A state this session did not send, or sent and used. It is never exchanged: this is what keeps an
 * attacker's callback URL, opened in a victim's browser, from signing the victim in as the attacker.
 */
function notOurs(ctx: Context, session: SessionHolder, data: WeChatSessionData, state: string | undefined): void {
  const completedHere = state !== undefined && data.completed !== undefined && sameState(data.completed.state, state);
  // Signed in by this very callback (WeChat called back twice), or just now by another tab: go on. An older
  // identity is not enough: a route may have sent the visitor here because it was too old (maxAge), and a
  // redirect would bring them back here through WeChat, for ever, if the session lost the sign-in under way.
  if (data.identity !== undefined && (completedHere || Date.now() - data.identity.loginAt < PENDING_LIFETIME_MS)) {
    return redirectNoStore(ctx, completedHere ? data.completed!.returnTo : '/');
  }
  // No session came with the request: cookies are blocked, and sending the visitor to WeChat again would loop.
  // koa-session says so (`isNew`); for other session middleware, a session without our data is the best guess.
  const noSession = session.isNew ?? (data.pending === undefined && data.completed === undefined);
  answer(ctx, noSession ? ANSWERS.cookiesRequired : ANSWERS.stateMismatch, { action: { href: '/', label: '返回首页 · Home' } });
}

/**
 * The visitor refused, or the code could not be used. Someone already signed in just goes on; otherwise
 * WeChat is asked once more, and a second failure in a row shows a page, never a loop.
 */
function retryOnce(ctx: Context, services: SiteServices, session: SessionHolder, data: WeChatSessionData, pending: PendingSignIn, now: number): void {
  // Signed in since this sign-in began (WeChat called back twice, another tab finished first): go on. An older
  // identity does not count: the route sent the visitor here because it was too old (maxAge), and would again.
  const identity = usableIdentity(data, pending.scope, undefined, now);
  if (identity !== undefined && identity.loginAt >= pending.startedAt) return redirectNoStore(ctx, pending.returnTo);
  if (data.restartedAt === undefined) {
    data.restartedAt = now;
    return redirectNoStore(ctx, beginSignIn(ctx, services, session, data, pending, now));
  }
  // The next try is the visitor's own click, and starts afresh.
  writeSession(session, { ...data, restartedAt: undefined }, now);
  answer(ctx, ANSWERS.signInFailed, { action: { href: pending.returnTo, label: '重试 · Try again' } });
}

function notAnOpenid(): WeChatUnavailableError {
  return new WeChatUnavailableError({ reason: 'invalid_response', endpoint: 'GET /sns/oauth2/access_token', detail: 'answered an openid of a wrong shape' });
}

/** A query parameter given once; a repeated or missing one counts as absent. */
function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
