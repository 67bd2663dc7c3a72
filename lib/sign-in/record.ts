/**
 * What the sign-in flow remembers, and how it is written down: the visitor's record (kept in their session) and
 * each sign-in under way (kept in a cookie of its own, named by its state). Plain data, checked field by field
 * when read: a session written by another version, or a cookie edited by its holder, is not trusted blindly.
 */
import type { OAuthScope } from '../client/types.js';
import { OPENID_PATTERN, STATE_PATTERN } from '../wechat/shapes.js';
import { safeReturnTo } from './return-to.js';

/** Who the visitor is, as the OAuth exchange said. */
export interface WeChatIdentity {
  openid: string;
  /** The scope the visitor signed in with: a `snsapi_userinfo` sign-in also serves `snsapi_base` routes. */
  scope: OAuthScope;
  /** When the exchange happened, in milliseconds since the epoch. */
  loginAt: number;
  /** The virtual user of a snapshot page (`is_snapshotuser: 1`). */
  snapshotUser?: true;
}

/** A sign-in under way: the state sent to WeChat, and where to go back to. */
export interface PendingSignIn {
  state: string;
  /** A local path, checked by `safeReturnTo`. */
  returnTo: string;
  scope: OAuthScope;
  startedAt: number;
}

/** The visitor's part of the session. Sign-ins under way are not here (see `PendingSignIn`). */
export interface SignInRecord {
  identity?: WeChatIdentity;
  /** The last sign-in that completed, so that WeChat calling back twice lands on the same page. */
  completed?: { state: string; returnTo: string };
  /** Loop guard: when a failed callback sent the visitor through WeChat again. It happens once, never in a loop. */
  restartedAt?: number;
  /** Loop guard: an openid that WeChat said is not this account's (40003), after which the visitor signed in again. */
  disowned?: string;
}

/** Sign-ins older than this are dropped: a code lives 5 minutes, and the consent sheet may wait a little. */
export const PENDING_LIFETIME_MS = 10 * 60_000;
/** A restart older than this no longer counts against the next failure. */
const RESTART_WINDOW_MS = 5 * 60_000;

export function readRecord(raw: unknown, now: number): SignInRecord {
  if (raw === null || typeof raw !== 'object') return {};
  const data = raw as Record<string, unknown>;
  const record: SignInRecord = {};
  if (isIdentity(data.identity)) record.identity = data.identity;
  const completed = data.completed as SignInRecord['completed'] | null;
  // The session is signed; the path is checked all the same, since it becomes a redirect's Location.
  if (
    completed !== null &&
    typeof completed === 'object' &&
    typeof completed.state === 'string' &&
    typeof completed.returnTo === 'string' &&
    safeReturnTo(completed.returnTo) === completed.returnTo
  ) {
    record.completed = { state: completed.state, returnTo: completed.returnTo };
  }
  if (typeof data.restartedAt === 'number' && now - data.restartedAt < RESTART_WINDOW_MS) record.restartedAt = data.restartedAt;
  if (typeof data.disowned === 'string' && OPENID_PATTERN.test(data.disowned)) record.disowned = data.disowned;
  return record;
}

/** The record as the session keeps it; `undefined` when there is nothing to keep. */
export function serializeRecord(record: SignInRecord): SignInRecord | undefined {
  const clean: SignInRecord = {};
  if (record.identity !== undefined) clean.identity = record.identity;
  if (record.completed !== undefined) clean.completed = record.completed;
  if (record.restartedAt !== undefined) clean.restartedAt = record.restartedAt;
  if (record.disowned !== undefined) clean.disowned = record.disowned;
  return Object.keys(clean).length === 0 ? undefined : clean;
}

/**
 * A sign-in under way as its cookie holds it (the state is the cookie's name). Small: a browser may hold many
 * at once, and every request carries them. The return path is left out when it is where WeChat returns to.
 */
export function encodePending(pending: PendingSignIn, withReturnTo: boolean): string {
  const data: { s: string; t: number; r?: string } = { s: pending.scope === 'snsapi_userinfo' ? 'u' : 'b', t: pending.startedAt };
  if (withReturnTo) data.r = keptReturnTo(pending.returnTo);
  return Buffer.from(JSON.stringify(data)).toString('base64url');
}

/**
 * The sign-in under way for `state`, from its cookie's value; undefined when it is not one of ours. `returnedTo`
 * is the path WeChat returned to, the return path of a cookie that holds none.
 */
export function decodePending(state: string, value: string | undefined, returnedTo: string): PendingSignIn | undefined {
  if (value === undefined || !STATE_PATTERN.test(state)) return undefined;
  let data: { r?: unknown; s?: unknown; t?: unknown };
  try {
    data = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as typeof data;
  } catch {
    return undefined;
  }
  if (data === null || typeof data !== 'object') return undefined;
  const { r: returnTo = returnedTo, s: scope, t: startedAt } = data;
  // The cookie is signed; the path is checked again all the same, since it becomes a redirect's Location.
  if (typeof returnTo !== 'string' || safeReturnTo(returnTo) !== returnTo || (scope !== 'u' && scope !== 'b') || typeof startedAt !== 'number')
    return undefined;
  return { state, returnTo, scope: scope === 'u' ? 'snsapi_userinfo' : 'snsapi_base', startedAt };
}

/** A return path kept in a cookie loses its query past this length: a browser may hold many such cookies at once. */
const MAX_KEPT_RETURN_TO = 200;

function keptReturnTo(returnTo: string): string {
  if (returnTo.length <= MAX_KEPT_RETURN_TO) return returnTo;
  const path = returnTo.split(/[?#]/, 1)[0]!;
  return path.length <= MAX_KEPT_RETURN_TO ? path : '/';
}

export function isLive(pending: PendingSignIn, now: number): boolean {
  return now - pending.startedAt < PENDING_LIFETIME_MS;
}

function isScope(value: unknown): value is OAuthScope {
  return value === 'snsapi_base' || value === 'snsapi_userinfo';
}

function isIdentity(value: unknown): value is WeChatIdentity {
  if (value === null || typeof value !== 'object') return false;
  const identity = value as Partial<WeChatIdentity>;
  return (
    typeof identity.openid === 'string' &&
    OPENID_PATTERN.test(identity.openid) &&
    isScope(identity.scope) &&
    typeof identity.loginAt === 'number' &&
    (identity.snapshotUser === undefined || identity.snapshotUser === true)
  );
}
