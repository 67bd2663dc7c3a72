/**
 * A bound on every store call (read, write, delete, lock): past `timeoutMs` the caller gets its fallback and
 * goes on. node-redis queues commands while it reconnects and waits in `connect()` for a Redis that never came
 * up; without a bound, every signed-in request would wait for Redis to come back.
 *
 * After a call times out the store counts as down for a short while: calls get their fallback at once and are
 * not sent, so that no backlog of work for clients long gone builds up behind the outage (in the client's queue
 * or in ours). One probe at a time is let through; its answer brings the store back by itself. A store that
 * fails fast (an error, not a wait) costs nothing to ask, and is asked every time.
 */
import { describeForeignError, type Logger } from '../util/logger.js';

/** The kinds of store call; each kind's trouble is logged on its own, at most once a {@link WARN_EVERY_MS}. */
export type StoreCall = 'read' | 'write' | 'delete' | 'lock' | 'claim';

/** The default bound of a store call, in milliseconds: a local Redis answers in about one. */
export const DEFAULT_STORE_TIMEOUT_MS = 250;
/** How long the store counts as down after a failure before one call probes it again. */
const DOWN_FOR_MS = 1000;
/** One warning per kind of trouble in this time, never one per request. */
const WARN_EVERY_MS = 60_000;

class StoreTimeout extends Error {
  override name = 'StoreTimeout';
}

export class StoreGuard {
  readonly #timeoutMs: number;
  readonly #logger: Logger;
  #downUntil = 0;
  #probing = false;
  #down = false;
  readonly #warnedAt = new Map<string, number>();

  constructor(timeoutMs: number, logger: Logger) {
    this.#timeoutMs = timeoutMs;
    this.#logger = logger;
  }

  /**
   * Runs `call` within the bound; its failure, its timeout or a store that counts as down gives `fallback`.
   * `failed(value)` says whether an answer is a failure too (Keyv answers `false` for a write it swallowed).
   */
  async run<T>(kind: StoreCall, call: () => Promise<T>, fallback: T, failed?: (value: T) => boolean): Promise<T> {
    const probe = this.#down;
    if (probe && (this.#probing || Date.now() < this.#downUntil)) return fallback;
    if (probe) this.#probing = true;
    try {
      const value = await this.#bounded(call);
      if (failed?.(value) === true) {
        this.#failed(kind, undefined);
        return fallback;
      }
      this.#answered();
      return value;
    } catch (error) {
      this.#failed(kind, error);
      return fallback;
    } finally {
      if (probe) this.#probing = false;
    }
  }

  #bounded<T>(call: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        // Decided after the poll phase: an answer already in the socket (a busy event loop made the timer late)
        // is read first, and a healthy store is not called down for our own slowness.
        setImmediate(() => {
          if (settled) return;
          settled = true;
          reject(new StoreTimeout());
        });
      }, this.#timeoutMs);
      // An async wrapper, so that a call that throws at once fails like one that rejects.
      const pending = (async () => call())();
      // The call is not awaited past the bound, but its late failure must not become an unhandled rejection.
      pending.then(
        (value) => {
          clearTimeout(timer);
          if (settled) return;
          settled = true;
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          if (settled) return;
          settled = true;
          reject(error instanceof Error ? error : new Error(typeof error));
        },
      );
    });
  }

  #answered(): void {
    if (!this.#down) return;
    this.#down = false;
    this.#logger.warn('koa-wechat-subscription: the store answers again; tokens, statuses and the lock are shared again');
  }

  #failed(kind: StoreCall, error: unknown): void {
    const timedOut = error instanceof StoreTimeout;
    if (timedOut) {
      this.#down = true;
      this.#downUntil = Date.now() + DOWN_FOR_MS;
    }
    const trouble = `${kind}:${timedOut ? 'timeout' : error === undefined ? 'refused' : describeForeignError(error)}`;
    const now = Date.now();
    const last = this.#warnedAt.get(trouble);
    if (last !== undefined && now - last < WARN_EVERY_MS) return;
    this.#warnedAt.set(trouble, now);
    // The error's message is not repeated: a store's message may quote the value, and values are tokens.
    const cause = timedOut ? `no answer within ${this.#timeoutMs} ms` : error === undefined ? 'Keyv answered false' : describeForeignError(error);
    this.#logger.warn(`koa-wechat-subscription: the store failed to ${OUTCOME[kind]} (${cause}); ${FALLBACK[kind]} (said at most once a minute)`);
  }
}

const OUTCOME: Record<StoreCall, string> = {
  read: 'read a key',
  write: 'write a key',
  delete: 'delete a key',
  lock: 'take or give back the token lock',
  claim: 'mark a push as seen',
};

const FALLBACK: Record<StoreCall, string> = {
  read: 'treating it as a miss and asking WeChat',
  write: 'the value is not shared',
  delete: 'the value lives out its time',
  lock: 'this process fetches the token on its own',
  claim: 'the push is handled as new (a retry sent to another process may be handled twice)',
};
