/**
 * The sign-in flow's decisions, as pure functions: given the visitor's record, what the request is and `now`,
 * each answers what to do and the record to keep. No I/O and no framework: the adapter carries the step out.
 *
 * Why it cannot loop: a visitor is sent through WeChat (1) when they have no usable identity, (2) once after a
 * failed callback (`restartedAt`), and (3) once after WeChat disowned their openid (`disowned`). A second failure
 * in a row ends on a page; an identity newer than the sign-in it answers always goes on.
 */
import type { OAuthScope } from '../client/types.js';
import { isLive, PENDING_LIFETIME_MS, type PendingSignIn, type SignInRecord, type WeChatIdentity } from './record.js';
import { sameState } from './state.js';

/** A sign-in under way is offered again while it has at least a code's life (5 minutes) to live. */
const REUSE_WINDOW_MS = PENDING_LIFETIME_MS - 5 * 60_000;

/** Makes a new single-use state. */
export type MintState = () => string;

/** A request to a gated route. */
export interface GatedRequest {
  scope: OAuthScope;
  /** Seconds after sign-in when the visitor is sent through WeChat again; undefined: as long as the session. */
  signInMaxAge: number | undefined;
  /**
   * A page (GET or HEAD that wants HTML) is sent to WeChat; other requests are answered 401 with the URL to use
   * (`challenge`), and a CORS preflight with a bare 401 (`deny`): it carries no cookie, and starts nothing.
   */
  respond: 'redirect' | 'challenge' | 'deny';
  /** Where to come back to, a local path. */
  returnTo: string;
  /** The sign-ins under way in this browser. */
  pending: readonly PendingSignIn[];
  /** The state of a sign-in this browser completed within the last minute (a mark beside the session). */
  justCompleted: string | undefined;
}

/** WeChat's return (`code` and `state`), on a gated route or on the dedicated callback path. */
export interface CallbackRequest {
  state: string;
  code: string | undefined;
  /** The sign-in under way that this browser holds for `state`, if any. */
  pending: PendingSignIn | undefined;
  /** Where a signed-in visitor goes whose state is no longer under way: the clean URL, or `/`. */
  fallback: string;
  /** Whether the request carried any cookie: without one, the browser blocks them. */
  cookiesSent: boolean;
  /** WeChat returned to the gated page itself (no dedicated callback path): `fallback` is that page. */
  atPage: boolean;
}

/** A grant as the code exchange gave it. */
export interface Grant {
  openid: string;
  /** The scope WeChat granted, which a visitor may have lowered by editing the authorize URL. */
  scope: OAuthScope;
  snapshotUser: boolean;
}

/** What the code exchange came to: `refused` when the code was used, expired, or is not one WeChat issues. */
export type ExchangeOutcome = { kind: 'granted'; grant: Grant } | { kind: 'refused' };

/** Signed in: look the subscription up and go on. */
export type Proceed = { action: 'proceed'; identity: WeChatIdentity };
/** Send the visitor through WeChat with `pending` (`isNew`: it is to be remembered first). */
export type SignIn = { action: 'sign-in'; respond: 'redirect' | 'challenge' | 'deny'; pending: PendingSignIn; isNew: boolean; record: SignInRecord };
/** Exchange the callback's code for the sign-in under way (which is forgotten first: single use). */
export type Exchange = { action: 'exchange'; pending: PendingSignIn; code: string };
/** Redirect to a local path. */
export type Continue = { action: 'continue'; to: string; record: SignInRecord };
/** The callback is not this browser's: never exchanged (login CSRF), and nothing changes. */
export type Refuse = { action: 'refuse'; answer: 'stateMismatch' | 'cookiesRequired' | 'signInRequired'; retry: string };
/** The sign-in failed twice in a row: a page with a link to try again, by the visitor's own click. */
export type Failed = { action: 'failed'; retry: string; record: SignInRecord };

/** A step that answers the request. */
export type Answering = SignIn | Continue | Refuse | Failed;

/** The identity, if it serves a route of this scope and is not older than `maxAge` seconds. */
export function usableIdentity(record: SignInRecord, scope: OAuthScope, maxAge: number | undefined, now: number): WeChatIdentity | undefined {
  const { identity } = record;
  if (identity === undefined) return undefined;
  // A snsapi_userinfo sign-in also serves snsapi_base routes; not the other way round.
  if (scope === 'snsapi_userinfo' && identity.scope !== 'snsapi_userinfo') return undefined;
  if (maxAge !== undefined && now - identity.loginAt > maxAge * 1000) return undefined;
  return identity;
}

export function decideGatedRequest(record: SignInRecord, request: GatedRequest, now: number, mint: MintState): Proceed | SignIn | Refuse {
  const identity = usableIdentity(record, request.scope, request.signInMaxAge, now);
  if (identity !== undefined) return { action: 'proceed', identity };
  if (request.respond === 'deny') return { action: 'refuse', answer: 'signInRequired', retry: request.returnTo };
  // Signed in a moment ago, yet the session does not say so: it lost the sign-in (a store that drops writes, a
  // cookie the browser refused). Another trip through WeChat would end the same way, for ever.
  if (request.justCompleted !== undefined && record.completed?.state !== request.justCompleted) {
    return { action: 'refuse', answer: 'cookiesRequired', retry: request.returnTo };
  }
  return beginSignIn(record, request, now, mint);
}

/**
 * WeChat said the signed-in openid is not this account's (40003): a session from another AppID, or a test user
 * the emulator no longer has. Sign in again, once. Undefined when it is the same openid again: WeChat's
 * authorization and its API disagree (a setup problem), and the visitor is told WeChat could not say.
 */
export function decideDisowned(record: SignInRecord, openid: string, request: GatedRequest, now: number, mint: MintState): SignIn | undefined {
  if (record.disowned === openid) return undefined;
  return beginSignIn({ ...record, identity: undefined, disowned: openid }, request, now, mint);
}

export function decideCallback(record: SignInRecord, request: CallbackRequest, now: number, mint: MintState): Exchange | Answering {
  const { pending } = request;
  if (pending === undefined) {
    const { identity, completed } = record;
    const completedHere = completed !== undefined && sameState(completed.state, request.state);
    // Signed in by this very callback (WeChat called back twice), or just now by another tab: go on. An older
    // identity is not enough: a route may have sent the visitor to WeChat because it was too old (signInMaxAge).
    if (identity !== undefined && (completedHere || now - identity.loginAt < PENDING_LIFETIME_MS)) {
      return { action: 'continue', to: completedHere && !request.atPage ? completed.returnTo : request.fallback, record };
    }
    return { action: 'refuse', answer: request.cookiesSent ? 'stateMismatch' : 'cookiesRequired', retry: request.fallback };
  }
  // No code: the visitor refused (old WeChat clients say so with the state alone). An expired one cannot work.
  if (request.code === undefined || !isLive(pending, now)) return restartOrFail(record, pending, now, mint);
  return { action: 'exchange', pending, code: request.code };
}

export function decideGrant(
  record: SignInRecord,
  pending: PendingSignIn,
  outcome: ExchangeOutcome,
  now: number,
  mint: MintState,
): Continue | SignIn | Failed {
  if (outcome.kind === 'refused') return restartOrFail(record, pending, now, mint);
  const { grant } = outcome;
  // A lowered scope is a refusal: the visitor edited the URL, and /sns/userinfo would only answer 48001.
  if (pending.scope === 'snsapi_userinfo' && grant.scope !== 'snsapi_userinfo' && !grant.snapshotUser) {
    return restartOrFail(record, pending, now, mint);
  }
  const identity: WeChatIdentity = { openid: grant.openid, scope: pending.scope, loginAt: now };
  if (grant.snapshotUser) identity.snapshotUser = true;
  const next: SignInRecord = { identity, completed: { state: pending.state, returnTo: pending.returnTo } };
  if (record.disowned !== undefined) next.disowned = record.disowned;
  return { action: 'continue', to: pending.returnTo, record: next };
}

function beginSignIn(record: SignInRecord, request: GatedRequest, now: number, mint: MintState): SignIn {
  // Any number of 401s, side by side or in a row, leave every URL they gave working: one under way is offered again.
  const offered = request.pending.filter((each) => each.scope === request.scope && now - each.startedAt < REUSE_WINDOW_MS);
  const reused = offered.find((each) => each.returnTo === request.returnTo) ?? (request.respond === 'challenge' ? offered.at(-1) : undefined);
  const pending = reused ?? { state: mint(), returnTo: request.returnTo, scope: request.scope, startedAt: now };
  return { action: 'sign-in', respond: request.respond, pending, isNew: reused === undefined, record };
}

/**
 * The visitor refused, or the code could not be used. Someone signed in since this sign-in began goes on;
 * otherwise WeChat is asked once more, and a second failure in a row shows a page, never a loop.
 */
function restartOrFail(record: SignInRecord, pending: PendingSignIn, now: number, mint: MintState): Continue | SignIn | Failed {
  // An identity older than this sign-in does not count: the route sent the visitor here because it was too old.
  const identity = usableIdentity(record, pending.scope, undefined, now);
  if (identity !== undefined && identity.loginAt >= pending.startedAt) return { action: 'continue', to: pending.returnTo, record };
  if (record.restartedAt === undefined) {
    const again: PendingSignIn = { state: mint(), returnTo: pending.returnTo, scope: pending.scope, startedAt: now };
    return { action: 'sign-in', respond: 'redirect', pending: again, isNew: true, record: { ...record, restartedAt: now } };
  }
  // The next try is the visitor's own click, and starts afresh.
  return { action: 'failed', retry: pending.returnTo, record: { ...record, restartedAt: undefined } };
}
