/**
 * The visitor's sign-in record in their session, under `ctx.session.wechat`: the identity and the loop guards.
 * Never the user info, a token or a code: a cookie session is readable by its holder, and the user info would
 * go stale there. The mounting is checked here, and a mistake is a setup error that names the fix.
 */
import type { Context } from 'koa';
import { WeChatSetupError } from '../errors.js';
import { readRecord, serializeRecord, type SignInRecord } from '../sign-in/record.js';
import { clearSignedInMark } from './sign-in-cookies.js';

const SESSION_KEY = 'wechat';

export type SessionHolder = Record<string, unknown> & { regenerate?: () => Promise<void> | undefined };

/**
 * The session, or a setup error that says how to mount it. Checked per request: a missing prerequisite is the
 * developer's to fix, and the error names the fix.
 */
export function sessionOf(ctx: Context): SessionHolder {
  // koa-session defines ctx.session for the whole app when created, but saves it only in its middleware: one
  // mounted after the gate never sees the answers that end here (a redirect to WeChat), and the sign-in is lost.
  // Asked before any of its getters is read: reading one makes the per-request object the check looks for.
  if ('sessionOptions' in ctx && !koaSessionEntered(ctx)) {
    throw new WeChatSetupError(
      'koa-session is mounted after requireSubscription(): mount it before requireSubscription(), as in `app.use(session(app)); app.use(requireSubscription(…))`. Mounted after, it never saves the session on the answers the gate gives itself.',
    );
  }
  // Before ctx.session is read: koa-session reads its cookie through ctx.cookies, which throws keygrip's raw
  // error for an empty list, and a key that is undefined (an unset variable) would sign with the word "undefined".
  checkKeys(ctx.app.keys);
  const options = (ctx as unknown as { sessionOptions?: { signed?: boolean; store?: unknown; ContextStore?: unknown } }).sessionOptions;
  const session = (ctx as unknown as { session?: unknown }).session;
  if (session === null || typeof session !== 'object') {
    throw new WeChatSetupError(
      'ctx.session is missing: mount koa-session before requireSubscription(), as in `app.keys = [secret]; app.use(session(app));`',
    );
  }
  if (options?.signed === false && options.store === undefined && options.ContextStore === undefined) {
    throw new WeChatSetupError(
      'koa-session has signed: false and keeps the session in the cookie: anyone could claim any openid. Remove signed: false, or give koa-session a store.',
    );
  }
  return session as SessionHolder;
}

export function readSessionRecord(session: SessionHolder, now: number): SignInRecord {
  return readRecord(session[SESSION_KEY], now);
}

export function writeSessionRecord(session: SessionHolder, record: SignInRecord): void {
  const kept = serializeRecord(record);
  if (kept === undefined) delete session[SESSION_KEY];
  else session[SESSION_KEY] = kept;
}

/**
 * Starts a new session for the signed-in visitor (koa-session's `regenerate()`), so that a session id planted
 * before sign-in (session fixation) is not the one that ends up signed in. Other session stores are used as they are.
 */
export async function regenerate(session: SessionHolder): Promise<void> {
  if (typeof session.regenerate === 'function') await session.regenerate();
}

/**
 * Signs the visitor out: the identity is dropped; the rest of the session stays. The next gated request sends
 * them through WeChat again.
 */
export function logout(ctx: Context): void {
  const session = (ctx as unknown as { session?: unknown }).session;
  if (session !== null && typeof session === 'object') delete (session as Record<string, unknown>)[SESSION_KEY];
  // Else the next gated page, within the mark's minute, would read as a session that lost the sign-in.
  clearSignedInMark(ctx);
}

/** `app.keys` must be a list of secrets that can sign: the messages never quote a key. */
function checkKeys(keys: unknown): void {
  const why = "the session that holds the visitor's identity, and the sign-in's cookies, are signed with them, or anyone could claim any openid";
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new WeChatSetupError(
      `app.keys is ${Array.isArray(keys) ? 'an empty list' : 'not set'}: ${why}. Set \`app.keys = [a long random secret]\`.`,
    );
  }
  const unusable = keys.findIndex((key) => !((typeof key === 'string' || Buffer.isBuffer(key)) && key.length > 0));
  if (unusable !== -1) {
    const what = keys[unusable] === undefined ? 'undefined (is the environment variable that holds it set?)' : 'not a non-empty string';
    throw new WeChatSetupError(`app.keys[${unusable}] is ${what}: ${why}. Every key must be a long random secret, a non-empty string.`);
  }
}

/**
 * Whether koa-session's middleware has run for this request: it creates its per-request object (a symbol
 * property of ctx, "contextSession instance" in koa-session 7) before calling the next middleware.
 */
function koaSessionEntered(ctx: Context): boolean {
  return Object.getOwnPropertySymbols(ctx).some((symbol) => symbol.description?.includes('contextSession') === true);
}
