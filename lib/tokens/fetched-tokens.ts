/**
 * Global access tokens fetched from WeChat (`stable_token` or the classic `token`) and shared through the store:
 * - single-flight: the callers of one process share one fetch;
 * - refresh ahead: in a token's last minutes one background refresh runs while callers keep the valid token;
 * - compare-and-invalidate: a refused token is replaced only if it is still the cached one;
 * - the lock: across processes, whoever holds it fetches and the others find the result in the store.
 */
import type { WeChatClient } from '../client/client.js';
import { WeChatApiError, WeChatError } from '../errors.js';
import type { CacheStore } from '../store/cache-store.js';
import { tokenKey, tokenLockKey } from '../store/keys.js';
import { debug } from '../util/debug.js';
import { describeForeignError, type Logger } from '../util/logger.js';
import { pause } from '../util/pause.js';
import { AccessTokens } from './access-tokens.js';
import { isPollingLock, type PollingLock, type ReleaseLock, type TokenLock } from './lock.js';
import { isCachedToken, scheduleToken, type CachedToken } from './schedule.js';

/** Where tokens come from: `stable` (`POST /cgi-bin/stable_token`) or `classic` (`GET /cgi-bin/token`). */
export type TokenSource = 'stable' | 'classic';

export interface FetchedTokensOptions {
  client: WeChatClient;
  source: TokenSource;
  store: CacheStore;
  lock: TokenLock;
  logger: Logger;
}

/** A configuration or quota error is repeated for this long without asking WeChat: it cannot heal sooner. */
const FAILURE_HOLD_MS = 10_000;
/** After a failed background refresh, the next waits this long (the cached token serves meanwhile). */
const QUIET_AFTER_FAILED_REFRESH_MS = 10_000;
/** A waiter for a polled lock looks in the store after this pause, growing to the last one. */
const FIRST_LOOK_MS = 20;
const LAST_LOOK_MS = 200;

type GoodEnough = (stored: CachedToken, now: number) => boolean;

export class FetchedTokens extends AccessTokens {
  readonly #client: WeChatClient;
  readonly #source: TokenSource;
  readonly #store: CacheStore;
  readonly #lock: TokenLock;
  readonly #logger: Logger;
  readonly #key: string;
  readonly #lockKey: string;
  /** Seconds: longer than the slowest fetch with all its retries, so the lock frees itself only after a crash. */
  readonly #lockTtl: number;
  /** This process's copy of the cached token: most calls need no store round trip. */
  #memo: CachedToken | undefined;
  readonly #flights = new Map<string, Promise<CachedToken>>();
  #heldFailure: { error: WeChatError; until: number } | undefined;
  /** The latest tokens this process fetched itself, to tell them from tokens adopted from the store. */
  readonly #fetchedHere = new Set<string>();
  #quietUntil = 0;

  constructor({ client, source, store, lock, logger }: FetchedTokensOptions) {
    super();
    this.#client = client;
    this.#source = source;
    this.#store = store;
    this.#lock = lock;
    this.#logger = logger;
    this.#key = tokenKey(client.appId, source);
    this.#lockKey = tokenLockKey(client.appId, source);
    const { timeout, retry } = client.options;
    this.#lockTtl = timeout * (retry.retries + 1) + retry.maxDelay * retry.retries + 5;
  }

  async get(): Promise<string> {
    const memo = this.#memo;
    const now = Date.now();
    if (memo !== undefined && now < memo.expiresAt) {
      if (now >= memo.refreshAt) this.#refreshInBackground();
      return memo.accessToken;
    }
    return (await this.#flight('load', () => this.#load())).accessToken;
  }

  async renew(failed: string): Promise<string> {
    const memo = this.#memo;
    if (memo !== undefined && memo.accessToken !== failed && Date.now() < memo.expiresAt) return memo.accessToken;
    // Compare, then invalidate: only the token that failed is dropped, so a burst of failures renews once.
    if (memo?.accessToken === failed) this.#memo = undefined;
    const renewed = await this.#flight(`renew:${failed}`, () =>
      this.#fetchUnlessStored((stored, now) => stored.accessToken !== failed && now < stored.expiresAt),
    );
    return renewed.accessToken;
  }

  /**
   * The token `renew` adopted from the store was refused too: several processes held tokens of their own (the
   * shared lock was away) and all died at once. Fetch one, under the lock, taking from the store only a token
   * fetched after this refusal; a token this process fetched itself is never fetched for again (no loop).
   */
  protected override async renewOnceMore(failed: string): Promise<string | undefined> {
    if (this.#fetchedHere.has(failed)) return undefined;
    if (this.#memo?.accessToken === failed) this.#memo = undefined;
    const since = Date.now();
    const fresh = await this.#flight(`renew-once-more:${failed}`, () =>
      this.#fetchUnlessStored((stored, now) => stored.accessToken !== failed && now < stored.expiresAt && (stored.fetchedAt ?? 0) >= since),
    );
    return fresh.accessToken;
  }

  async #load(): Promise<CachedToken> {
    const stored = await this.#readStored();
    if (stored !== undefined && Date.now() < stored.expiresAt) return this.#adopt(stored);
    return this.#fetchUnlessStored((each, now) => now < each.expiresAt);
  }

  #refreshInBackground(): void {
    if (Date.now() < this.#quietUntil) return;
    this.#flight('refresh', () => this.#fetchUnlessStored((stored, now) => now < stored.refreshAt)).catch((error: unknown) => {
      this.#quietUntil = Date.now() + QUIET_AFTER_FAILED_REFRESH_MS;
      // Our errors are redacted; a custom lock's are not ours to trust, so only their class and code are named.
      const reason = error instanceof WeChatError ? error.message : describeForeignError(error);
      this.#logger.warn(
        `koa-wechat-subscription: refreshing the ${this.#source} access token failed; the cached token serves until it expires. ${reason}`,
      );
    });
  }

  /** Under the lock: take the stored token if it is good enough, or else fetch one and store it. */
  async #fetchUnlessStored(goodEnough: GoodEnough): Promise<CachedToken> {
    this.#throwHeldFailure();
    if (isPollingLock(this.#lock)) return this.#fetchUnlessStoredPolling(this.#lock, goodEnough);
    const release = await this.#acquireLock();
    try {
      return await this.#checkThenFetch(goodEnough);
    } finally {
      await release();
    }
  }

  /**
   * With a lock that is asked without waiting (Redis): while another process holds it, look in the store after
   * each pause and take its token as soon as it is there. The wait is bounded by the holder's lease: once it
   * ends, the next attempt takes the lock. A lock that cannot be asked leaves this process's single flight.
   */
  async #fetchUnlessStoredPolling(lock: PollingLock, goodEnough: GoodEnough): Promise<CachedToken> {
    for (let wait = FIRST_LOOK_MS; ; wait = Math.min(wait * 1.5, LAST_LOOK_MS)) {
      const attempt = await lock.attempt(this.#lockKey, this.#lockTtl);
      if (attempt === 'unavailable') return this.#checkThenFetch(goodEnough);
      if (attempt !== 'held') {
        try {
          return await this.#checkThenFetch(goodEnough);
        } finally {
          await attempt();
        }
      }
      await pause(wait);
      const stored = await this.#readStored();
      if (stored !== undefined && goodEnough(stored, Date.now())) return this.#adopt(stored);
      this.#throwHeldFailure();
    }
  }

  async #checkThenFetch(goodEnough: GoodEnough): Promise<CachedToken> {
    // Double-check: while this caller waited for the lock, another process may have stored a new token.
    const stored = await this.#readStored();
    if (stored !== undefined && goodEnough(stored, Date.now())) return this.#adopt(stored);
    const fresh = await this.#fetchFromWeChat();
    await this.#store.set(this.#key, fresh, fresh.expiresAt - Date.now());
    this.#memo = fresh;
    return fresh;
  }

  /**
   * A lock that cannot be taken (its Redis is down) must not take the site down with it: the token is then
   * fetched without it, as a failing store counts as a miss. The cost is at worst one more fetch per process.
   */
  async #acquireLock(): Promise<ReleaseLock> {
    try {
      const release = await this.#lock.acquire(this.#lockKey, this.#lockTtl);
      return async () => {
        try {
          await release();
        } catch (error) {
          this.#warnAboutLock('could not be released; it expires by itself', error);
        }
      };
    } catch (error) {
      this.#warnAboutLock('could not be taken; fetching the token without it', error);
      return () => Promise.resolve();
    }
  }

  #warnAboutLock(problem: string, error: unknown): void {
    // A custom lock's error is not ours to trust: only its class and code are named.
    this.#logger.warn(`koa-wechat-subscription: the token lock ${problem}. ${describeForeignError(error)}`);
  }

  async #fetchFromWeChat(): Promise<CachedToken> {
    // Checked again here: the fetch of the caller that held the lock before us may have just failed.
    this.#throwHeldFailure();
    // The token's life is counted from the moment we asked: never later than WeChat's own count.
    const askedAt = Date.now();
    try {
      const answer = this.#source === 'stable' ? await this.#client.fetchStableToken() : await this.#client.fetchClassicToken();
      debug('fetched a %s access token for %s: expires_in %d', this.#source, this.#client.appId, answer.expires_in);
      this.#heldFailure = undefined;
      if (this.#fetchedHere.size >= 8) this.#fetchedHere.clear();
      this.#fetchedHere.add(answer.access_token);
      return { ...scheduleToken(answer.access_token, answer.expires_in, askedAt), fetchedAt: Date.now() };
    } catch (error) {
      if (error instanceof WeChatApiError && (error.category === 'config' || error.category === 'quota')) {
        this.#heldFailure = { error, until: Date.now() + FAILURE_HOLD_MS };
      }
      throw error;
    }
  }

  #throwHeldFailure(): void {
    if (this.#heldFailure !== undefined && Date.now() < this.#heldFailure.until) throw this.#heldFailure.error;
  }

  #adopt(stored: CachedToken): CachedToken {
    this.#memo = stored;
    if (Date.now() >= stored.refreshAt) this.#refreshInBackground();
    return stored;
  }

  async #readStored(): Promise<CachedToken | undefined> {
    const value = await this.#store.get(this.#key);
    return isCachedToken(value) ? value : undefined;
  }

  /** Callers asking for the same thing at once share one promise. */
  #flight(key: string, run: () => Promise<CachedToken>): Promise<CachedToken> {
    let flight = this.#flights.get(key);
    if (flight === undefined) {
      flight = run().finally(() => this.#flights.delete(key));
      this.#flights.set(key, flight);
    }
    return flight;
  }
}
