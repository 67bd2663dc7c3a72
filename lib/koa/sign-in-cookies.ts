/**
 * The sign-in's own cookies, signed with `app.keys`, beside the session:
 * - each sign-in under way, in a cookie named by its state. One cookie each, rather than a list in the session:
 *   requests answered side by side (an app's parallel 401s) each add theirs, where a list in one session cookie
 *   would keep only the last answer's, and every other URL would fail;
 * - a mark of the last completed sign-in, for one minute: a session that lost it (a store that drops writes, a
 *   cookie the browser refused) is then told apart from a visitor never signed in, and ends on a page, not a loop.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { decodePending, encodePending, isLive, PENDING_LIFETIME_MS, type PendingSignIn } from '../sign-in/record.js';
import { STATE_PATTERN } from '../wechat/shapes.js';

const PREFIX = 'wechat-sign-in-';
const SIGNED_IN = 'wechat-signed-in';
/** A used state's cookie says so until an expired one would have gone: a reload then reads "already used". */
const USED = 'used';
/** Expired sign-ins are still answered "try again" for as long again. */
const COOKIE_LIFETIME_MS = 2 * PENDING_LIFETIME_MS;
/** Long enough for the redirect after the callback, short enough never to meet a visitor's next sign-in. */
const SIGNED_IN_MARK_MS = 60_000;
/** Enough for a few tabs at once; older ones are dropped when a new one is added. */
const MAX_KEPT = 4;
/** 128 bits of HMAC-SHA256: one short signature inside the value, where Koa's signed cookies add a second cookie each. */
const MAC_LENGTH = 22;

/**
 * The sign-in under way for `state`. Signed with `app.keys`: its holder can neither forge one for a state of
 * their choosing nor edit the return path, and another site cannot plant one (login CSRF). `returnedTo` is the
 * path WeChat returned to.
 */
export function pendingFor(ctx: Context, state: string, now: number, returnedTo: string): PendingSignIn | undefined {
  if (!STATE_PATTERN.test(state)) return undefined;
  const pending = decodePending(state, readSigned(ctx, PREFIX + state), returnedTo);
  // An expired one is still answered: a callback for it deserves "try again", not "not yours".
  return pending !== undefined && now - pending.startedAt < COOKIE_LIFETIME_MS ? pending : undefined;
}

/** Every live sign-in under way in this browser, oldest first; `here` stands for the return path of those that hold none. */
export function pendingSignIns(ctx: Context, now: number, here: string): PendingSignIn[] {
  const found: PendingSignIn[] = [];
  for (const { state } of signInCookies(ctx)) {
    const pending = pendingFor(ctx, state, now, here);
    if (pending !== undefined && isLive(pending, now)) found.push(pending);
  }
  return found.sort((a, b) => a.startedAt - b.startedAt);
}

/** `returnsTo`: the path WeChat will return to; the cookie keeps the return path only when it is another. */
export function rememberPending(ctx: Context, pending: PendingSignIn, now: number, returnsTo: string): void {
  const kept = pendingSignIns(ctx, now, returnsTo);
  // The oldest go altogether, and so do used ones: every cookie kept rides on every request to the site.
  const used = signInCookies(ctx)
    .filter((each) => each.value === USED)
    .map((each) => each.state);
  for (const state of [...used, ...kept.slice(0, Math.max(0, kept.length - (MAX_KEPT - 1))).map((old) => old.state)]) {
    ctx.cookies.set(PREFIX + state, null, { signed: false, path: '/', overwrite: true });
  }
  writeSigned(ctx, PREFIX + pending.state, encodePending(pending, pending.returnTo !== returnsTo), COOKIE_LIFETIME_MS);
}

/** Single use: the answer that uses the cookie marks it used. */
export function forgetPending(ctx: Context, state: string): void {
  // Unsigned: a holder who forges "used" only refuses their own sign-in.
  ctx.cookies.set(PREFIX + state, USED, { signed: false, httpOnly: true, sameSite: 'lax', path: '/', maxAge: COOKIE_LIFETIME_MS, overwrite: true });
}

/** The mark holds the state of the sign-in that completed, which the session's record names too. */
export function markSignedIn(ctx: Context, state: string): void {
  writeSigned(ctx, SIGNED_IN, state, SIGNED_IN_MARK_MS);
}

/** The state of the sign-in this browser completed within the mark's minute, if any. */
export function signedInMark(ctx: Context): string | undefined {
  const state = readSigned(ctx, SIGNED_IN);
  return state !== undefined && STATE_PATTERN.test(state) ? state : undefined;
}

export function clearSignedInMark(ctx: Context): void {
  if (ctx.cookies.get(SIGNED_IN, { signed: false }) !== undefined) ctx.cookies.set(SIGNED_IN, null, { signed: false, path: '/', overwrite: true });
}

/** The sign-in cookies this request carries: each state with its raw value. */
function signInCookies(ctx: Context): Array<{ state: string; value: string }> {
  const header = ctx.get('Cookie');
  if (!header.includes(PREFIX)) return [];
  return [...header.matchAll(/(?:^|;\s*)wechat-sign-in-([A-Za-z0-9]{1,128})=([^;]*)/g)].map(([, state, value]) => ({
    state: state!,
    value: value!.trim(),
  }));
}

/**
 * One cookie signed with `app.keys[0]`, its signature inside the value. SameSite=Lax: WeChat's return is a
 * cross-site top-level GET, which carries Lax cookies, and nothing else cross-site does.
 */
function writeSigned(ctx: Context, name: string, value: string, maxAge: number): void {
  const signature = mac(String((ctx.app.keys as unknown[])[0]), name, value);
  ctx.cookies.set(name, `${value}.${signature}`, { signed: false, httpOnly: true, sameSite: 'lax', path: '/', maxAge, overwrite: true });
}

/** The value of a cookie written by `writeSigned`, if the signature holds for one of `app.keys` (they may rotate). */
function readSigned(ctx: Context, name: string): string | undefined {
  const raw = ctx.cookies.get(name, { signed: false });
  const dot = raw?.lastIndexOf('.') ?? -1;
  if (raw === undefined || dot === -1) return undefined;
  const value = raw.slice(0, dot);
  const given = Buffer.from(raw.slice(dot + 1));
  const keys = (ctx.app.keys ?? []) as unknown[];
  const genuine = keys.some((key) => {
    const expected = Buffer.from(mac(String(key), name, value));
    // Constant time: how long a refusal takes says nothing of how much of a forged signature was right.
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  return genuine ? value : undefined;
}

function mac(key: string, name: string, value: string): string {
  return createHmac('sha256', key).update(`${name}=${value}`).digest('base64url').slice(0, MAC_LENGTH);
}
