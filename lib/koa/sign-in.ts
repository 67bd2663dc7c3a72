/** Starting a sign-in: a fresh state kept in the session, and WeChat's authorize URL that carries it. */
import type { Context } from 'koa';
import type { OAuthScope } from '../client/types.js';
import { callbackUrl } from './request.js';
import { writeSession, type SessionHolder, type WeChatSessionData } from './session.js';
import type { SiteServices } from './site-services.js';
import { newState } from './state-nonce.js';

export interface SignInRequest {
  /** A local path, already checked by `safeReturnTo`. */
  returnTo: string;
  scope: OAuthScope;
}

/** Adds a sign-in under way to the session and answers WeChat's authorize URL for it. */
export function beginSignIn(ctx: Context, services: SiteServices, session: SessionHolder, data: WeChatSessionData, request: SignInRequest, now: number): string {
  const state = newState();
  data.pending = [...(data.pending ?? []), { state, returnTo: request.returnTo, scope: request.scope, startedAt: now }];
  writeSession(session, data, now);
  return services.client.authorizeUrl({ redirectUri: callbackUrl(ctx, services.site), state, scope: request.scope });
}

/** A redirect that no cache may keep: it carries a single-use state, or ends a sign-in. */
export function redirectNoStore(ctx: Context, url: string): void {
  ctx.set('Cache-Control', 'no-store');
  ctx.redirect(url);
}
