/**
 * "Does this visitor follow the account?", answered from the store when it can be and from WeChat when it must:
 * one request per openid in flight, different openids batched, and never a silent `false`.
 */
import type { WeChatClient } from '../client/client.js';
import type { UserInfo } from '../client/types.js';
import { WeChatArgumentError, WeChatError, WeChatStatusUnknownError } from '../errors.js';
import type { CacheStore } from '../store/cache-store.js';
import { subscriptionKey } from '../store/keys.js';
import type { AccessTokens } from '../tokens/access-tokens.js';
import { OPENID_PATTERN } from '../wechat/shapes.js';
import { UserInfoBatcher } from './batcher.js';

/** What `status()` answers. */
export interface SubscriptionStatus {
  /** Whether the user follows the Official Account (`subscribe === 1`). */
  subscribed: boolean;
  /** WeChat's `/cgi-bin/user/info` answer: `{ subscribe: 0, openid, … }` for someone who does not follow. */
  user: UserInfo;
  /** When WeChat said so (or a push event did), in milliseconds since the epoch. */
  checkedAt: number;
  /**
   * Present for the virtual user of a snapshot page (`is_snapshotuser: 1`): WeChat was not asked and nothing
   * was cached, since that openid is not a real visitor's. `subscribed` is then `false`: ask them to open the page.
   */
  snapshotUser?: true;
}

export interface StatusOptions {
  /** The OAuth exchange said `is_snapshotuser: 1`. */
  snapshotUser?: boolean;
  /**
   * Seconds a cached answer may be old to be used, for a route that wants fresher answers than `statusTtl`.
   * Default: any cached answer (the store keeps them for `statusTtl`). 0 always asks WeChat.
   */
  maxAge?: number;
}

export interface SubscriptionsOptions {
  client: WeChatClient;
  tokens: AccessTokens;
  store: CacheStore;
  /** Seconds a "following" answer is trusted. */
  statusTtl: number;
  /** Seconds a "not following" answer is trusted. */
  unsubscribedTtl: number;
  /** Milliseconds a lookup waits for others to share its batchget call. */
  batchWindowMs: number;
}

/** Set once a push event said something newer than a lookup on its way: its answer must not be cached. */
interface Staleness {
  stale: boolean;
}

/** What a follow push leaves without the user's record: a miss to lookups, and newer than any under way. */
interface FollowMark {
  followed: true;
  checkedAt: number;
}

interface InFlight {
  promise: Promise<SubscriptionStatus>;
  staleness: Staleness;
}

export class Subscriptions {
  readonly #options: SubscriptionsOptions;
  readonly #batcher: UserInfoBatcher;
  readonly #inFlight = new Map<string, InFlight>();

  constructor(options: SubscriptionsOptions) {
    this.#options = options;
    const { client, tokens } = options;
    this.#batcher = new UserInfoBatcher(
      (openids) => tokens.withToken((accessToken) => client.fetchUserInfoBatch({ accessToken, openids })),
      (openid) => tokens.withToken((accessToken) => client.fetchUserInfo({ accessToken, openid })),
      options.batchWindowMs,
    );
  }

  /**
   * Whether `openid` follows the account.
   * @throws {WeChatArgumentError} when `openid` is not an openid.
   * @throws {WeChatStatusUnknownError} when WeChat could not be asked or would not answer; `cause` says why.
   */
  async status(openid: string, options: StatusOptions = {}): Promise<SubscriptionStatus> {
    requireOpenid(openid);
    if (options.snapshotUser === true) {
      return { subscribed: false, user: { subscribe: 0, openid }, checkedAt: Date.now(), snapshotUser: true };
    }
    const running = this.#inFlight.get(openid);
    if (running !== undefined) {
      const joinedAt = Date.now();
      const joined = await running.promise;
      // It may have answered from the cache, with an answer older than this caller accepts.
      if (joined.checkedAt >= joinedAt || isFresh(joined, options.maxAge)) return joined;
    }
    const staleness: Staleness = { stale: false };
    const promise = this.#lookUp(openid, staleness, options.maxAge).finally(() => {
      if (this.#inFlight.get(openid)?.staleness === staleness) this.#inFlight.delete(openid);
    });
    this.#inFlight.set(openid, { promise, staleness });
    return promise;
  }

  /** Drops what is known about `openid`: the next `status()` asks WeChat. For an event that changes the user. */
  async forget(openid: string): Promise<void> {
    requireOpenid(openid);
    this.#markStale(openid);
    await this.#options.store.delete(subscriptionKey(this.#options.client.appId, openid));
  }

  /**
   * Records what a follow or unfollow push event said, for `statusTtl`: pushes keep the cache exact, in every
   * process that shares the store. A follow without the user's record leaves a mark that lookups read as a miss
   * (the next one fetches the record) but that no lookup already under way may overwrite with its older answer.
   */
  async record(openid: string, subscribed: boolean, user?: UserInfo): Promise<void> {
    requireOpenid(openid);
    this.#markStale(openid);
    const key = subscriptionKey(this.#options.client.appId, openid);
    // With caching off, the event can only drop what an older setting may have left.
    if (this.#options.statusTtl === 0) return this.#options.store.delete(key);
    const checkedAt = Date.now();
    const withRecord = subscribed && user !== undefined && user.subscribe === 1 && user.openid === openid;
    const value: SubscriptionStatus | FollowMark =
      subscribed && !withRecord ? { followed: true, checkedAt } : { subscribed, user: subscribed ? user! : { subscribe: 0, openid }, checkedAt };
    await this.#options.store.set(key, value, this.#options.statusTtl * 1000);
  }

  /** Resolves when every lookup under way has finished. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#inFlight.values()].map((lookup) => lookup.promise));
    await this.#batcher.settled();
  }

  async #lookUp(openid: string, staleness: Staleness, maxAge: number | undefined): Promise<SubscriptionStatus> {
    const { store, client, statusTtl, unsubscribedTtl } = this.#options;
    const key = subscriptionKey(client.appId, openid);
    const cached = await store.get(key);
    if (isSubscriptionStatus(cached, openid) && isFresh(cached, maxAge)) return cached;

    const startedAt = Date.now();
    let user: UserInfo;
    try {
      user = await this.#batcher.lookup(openid);
    } catch (error) {
      if (error instanceof WeChatError) throw new WeChatStatusUnknownError(openid, error);
      throw error;
    }
    const status: SubscriptionStatus = { subscribed: user.subscribe === 1, user, checkedAt: Date.now() };
    // "Not following" is trusted briefly, so that a visitor who has just followed is let in at once.
    const ttl = (status.subscribed ? statusTtl : unsubscribedTtl) * 1000;
    if (staleness.stale || ttl === 0) return status;
    // A push recorded by another process while WeChat was asked is newer than this answer: it stays, and wins.
    const meanwhile = await store.get(key);
    if (isRecordedSince(meanwhile, startedAt)) return isSubscriptionStatus(meanwhile, openid) ? meanwhile : status;
    await store.set(key, status, ttl);
    return status;
  }

  #markStale(openid: string): void {
    const lookup = this.#inFlight.get(openid);
    if (lookup !== undefined) {
      lookup.staleness.stale = true;
      // Later callers must not join an answer that is older than the event.
      this.#inFlight.delete(openid);
    }
  }
}

function requireOpenid(openid: unknown): asserts openid is string {
  if (typeof openid !== 'string' || !OPENID_PATTERN.test(openid)) {
    throw new WeChatArgumentError('openid', 'expected an openid (letters, digits, _ and -, at most 128)');
  }
}

/** Whether a cached answer is young enough for a caller; maxAge 0 takes none. */
function isFresh(status: SubscriptionStatus, maxAge: number | undefined): boolean {
  return maxAge === undefined || (maxAge > 0 && Date.now() - status.checkedAt <= maxAge * 1000);
}

/** Whether the store holds something written since `since`: a push's record or mark, or another lookup's answer. */
function isRecordedSince(value: unknown, since: number): boolean {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { checkedAt?: unknown }).checkedAt === 'number' &&
    (value as { checkedAt: number }).checkedAt >= since
  );
}

/** A stored value counts only if it has our shape and is about this openid. */
function isSubscriptionStatus(value: unknown, openid: string): value is SubscriptionStatus {
  if (value === null || typeof value !== 'object') return false;
  const status = value as Partial<SubscriptionStatus>;
  return (
    typeof status.subscribed === 'boolean' &&
    typeof status.checkedAt === 'number' &&
    status.user !== null &&
    typeof status.user === 'object' &&
    status.user.openid === openid &&
    status.user.subscribe === (status.subscribed ? 1 : 0)
  );
}
