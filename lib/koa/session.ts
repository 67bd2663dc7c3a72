/**
 * What the library keeps in the visitor's session, under `ctx.session.wechat`: the identity (openid, scope,
 * sign-in time) and the sign-ins under way. Never the user info, a token or a code: a cookie session is
 * readable by its holder, and the user info would go stale there.
 */
import type { Context } from 'koa';
import type { OAuthScope } from '../client/types.js';
import { WeChatSetupError } from '../errors.js';
import { OPENID_PATTERN, STATE_PATTERN } from '../wechat/shapes.js';

/** Who the visitor is, as the OAuth exchange said. */
export interface WeChatIdentity {
  openid: string;
  scope: OAuthScope;
  /** When the exchange happened, in milliseconds since the epoch. */
  loginAt: number;
  /** The virtual user of a snapshot page. */
  snapshotUser?: true;
}

/** A sign-in under way: the state sent to WeChat, and where to go back to. */
export interface PendingSignIn {
  state: string;
  returnTo: string;
  scope: OAuthScope;
  startedAt: number;
}

export interface WeChatSessionData {
  identity?: WeChatIdentity;
  /** Several tabs may sign in at once; each keeps its own state. */
  pending?: PendingSignIn[];
  /** The last sign-in that completed, so that WeChat calling the callback twice lands on the same page. */
  completed?: { state: string; returnTo: string };
  /** When a failed callback sent the visitor through WeChat again: it happens once, never in a loop. */
  restartedAt?: number;
  /** An openid that WeChat said is not this account's (40003), after which the visitor signed in again. */
  disowned?: string;
}

export const SESSION_KEY = 'wechat';
/** Sign-ins older than this are dropped: a code lives 5 minutes, and the consent sheet may wait a little. */
export const PENDING_LIFETIME_MS = 10 * 60_000;
/** Enough for a few tabs at once, and small enough for a cookie session (see MAX_RETURN_TO_LENGTH). */
const MAX_PENDING = 3;
/** A restart older than this no longer counts against the next failure. */
const RESTART_WINDOW_MS = 5 * 60_000;

export type SessionHolder = Record<string, unknown> & { regenerate?: () => Promise<void> | undefined; isNew?: boolean };

/**
 * The session, or a setup error that says how to mount it. Checked per request: a missing prerequisite is the
 * developer's to fix, and the error names the fix.
 */
export function sessionOf(ctx: Context): SessionHolder {
  const session = (ctx as unknown as { session?: unknown }).session;
  if (session === null || typeof session !== 'object') {
    throw new WeChatSetupError(
      'ctx.session is missing: mount koa-session before requireSubscription(), as in `app.keys = [secret]; app.use(session(app));`',
    );
  }
  if (!Array.isArray(ctx.app.keys) || ctx.app.keys.length === 0) {
    throw new WeChatSetupError(
      'app.keys is not set: the session that holds the visitor\'s identity must be signed, or anyone could claim any openid. Set `app.keys = [a long random secret]`.',
    );
  }
  const options = (ctx as unknown as { sessionOptions?: { signed?: boolean; store?: unknown; ContextStore?: unknown } }).sessionOptions;
  if (options?.signed === false && options.store === undefined && options.ContextStore === undefined) {
    throw new WeChatSetupError(
      'koa-session has signed: false and keeps the session in the cookie: anyone could claim any openid. Remove signed: false, or give koa-session a store.',
    );
  }
  return session as SessionHolder;
}

/** The library's part of the session, checked field by field: a session written by another version is not trusted blindly. */
export function readSession(session: SessionHolder, now: number): WeChatSessionData {
  const raw = session[SESSION_KEY];
  if (raw === null || typeof raw !== 'object') return {};
  const data = raw as Record<string, unknown>;
  const result: WeChatSessionData = {};
  if (isIdentity(data.identity)) result.identity = data.identity;
  if (Array.isArray(data.pending)) {
    // Expired ones are kept until the next write: a callback for one deserves "try again", not "not yours".
    result.pending = data.pending.filter(isPending);
  }
  const completed = data.completed as WeChatSessionData['completed'];
  if (completed !== null && typeof completed === 'object' && typeof completed.state === 'string' && typeof completed.returnTo === 'string') {
    result.completed = { state: completed.state, returnTo: completed.returnTo };
  }
  if (typeof data.restartedAt === 'number' && now - data.restartedAt < RESTART_WINDOW_MS) result.restartedAt = data.restartedAt;
  if (typeof data.disowned === 'string' && OPENID_PATTERN.test(data.disowned)) result.disowned = data.disowned;
  return result;
}

export function writeSession(session: SessionHolder, data: WeChatSessionData, now: number): void {
  const clean: WeChatSessionData = {};
  if (data.identity !== undefined) clean.identity = data.identity;
  const pending = (data.pending ?? []).filter((each) => isLive(each, now)).slice(-MAX_PENDING);
  if (pending.length > 0) clean.pending = pending;
  if (data.completed !== undefined) clean.completed = data.completed;
  if (data.restartedAt !== undefined) clean.restartedAt = data.restartedAt;
  if (data.disowned !== undefined) clean.disowned = data.disowned;
  if (Object.keys(clean).length === 0) delete session[SESSION_KEY];
  else session[SESSION_KEY] = clean;
}

/** The identity, if it serves a route of this scope and is not older than `maxAge` seconds. */
export function usableIdentity(data: WeChatSessionData, scope: OAuthScope, maxAge: number | undefined, now: number): WeChatIdentity | undefined {
  const { identity } = data;
  if (identity === undefined) return undefined;
  // A snsapi_userinfo sign-in also serves snsapi_base routes; not the other way round.
  if (scope === 'snsapi_userinfo' && identity.scope !== 'snsapi_userinfo') return undefined;
  if (maxAge !== undefined && now - identity.loginAt > maxAge * 1000) return undefined;
  return identity;
}

/**
 * Starts a new session for the signed-in visitor (koa-session's `regenerate()`), so that a session id planted
 * before sign-in (session fixation) is not the one that ends up signed in. Other session stores are used as they are.
 */
export async function regenerate(session: SessionHolder): Promise<void> {
  if (typeof session.regenerate === 'function') await session.regenerate();
}

/**
 * Signs the visitor out: the identity and the sign-ins under way are dropped; the rest of the session stays.
 * The next gated request sends them through WeChat again.
 */
export function logout(ctx: Context): void {
  const session = (ctx as unknown as { session?: unknown }).session;
  if (session !== null && typeof session === 'object') delete (session as Record<string, unknown>)[SESSION_KEY];
}

export function isLive(pending: PendingSignIn, now: number): boolean {
  return now - pending.startedAt < PENDING_LIFETIME_MS;
}

function isIdentity(value: unknown): value is WeChatIdentity {
  if (value === null || typeof value !== 'object') return false;
  const identity = value as Partial<WeChatIdentity>;
  return (
    typeof identity.openid === 'string' &&
    OPENID_PATTERN.test(identity.openid) &&
    (identity.scope === 'snsapi_base' || identity.scope === 'snsapi_userinfo') &&
    typeof identity.loginAt === 'number' &&
    (identity.snapshotUser === undefined || identity.snapshotUser === true)
  );
}

function isPending(value: unknown): value is PendingSignIn {
  if (value === null || typeof value !== 'object') return false;
  const pending = value as Partial<PendingSignIn>;
  return (
    typeof pending.state === 'string' &&
    STATE_PATTERN.test(pending.state) &&
    typeof pending.returnTo === 'string' &&
    (pending.scope === 'snsapi_base' || pending.scope === 'snsapi_userinfo') &&
    typeof pending.startedAt === 'number'
  );
}
