/**
 * Gathers the lookups of different openids that arrive within one window into batchget calls of at most 100:
 * 1,000 lookups at once cost 10 calls instead of 1,000. Lookups spread over time gather less: 200 sign-ins
 * spread over half a second cost 50–94 calls with the default 2 ms window, 8–9 with 10 ms.
 */
import { BATCH_LIMIT } from '../client/client.js';
import { WeChatApiError } from '../errors.js';
import type { UserInfo } from '../client/types.js';

/** Asks WeChat about these openids (at most 100) and answers in their order. */
export type FetchUsers = (openids: string[]) => Promise<UserInfo[]>;
/** Asks WeChat about one openid (`/cgi-bin/user/info`). */
export type FetchUser = (openid: string) => Promise<UserInfo>;

/** Halvings of a failing batch before each of its openids is asked alone. */
const MAX_HALVINGS = 2;
/** Single calls of a fallen-back batch in flight at once. */
const SINGLE_CONCURRENCY = 8;

interface Waiter {
  resolve(user: UserInfo): void;
  reject(error: unknown): void;
}

export class UserInfoBatcher {
  readonly #fetchUsers: FetchUsers;
  readonly #fetchUser: FetchUser;
  readonly #windowMs: number;
  #pending = new Map<string, { promise: Promise<UserInfo>; waiter: Waiter }>();
  /** Cancels the scheduled flush, while one is scheduled. */
  #cancelFlush: (() => void) | undefined;
  readonly #running = new Set<Promise<void>>();

  /** `windowMs`: how long the first lookup of a batch waits for company; 0 means until the current tick ends. */
  constructor(fetchUsers: FetchUsers, fetchUser: FetchUser, windowMs: number) {
    this.#fetchUsers = fetchUsers;
    this.#fetchUser = fetchUser;
    this.#windowMs = windowMs;
  }

  lookup(openid: string): Promise<UserInfo> {
    const pending = this.#pending.get(openid);
    if (pending !== undefined) return pending.promise;
    let waiter!: Waiter;
    const promise = new Promise<UserInfo>((resolve, reject) => (waiter = { resolve, reject }));
    this.#pending.set(openid, { promise, waiter });
    if (this.#pending.size >= BATCH_LIMIT) this.#flush();
    else this.#cancelFlush ??= this.#scheduleFlush();
    return promise;
  }

  /** Resolves when every batch sent so far has been answered. */
  async settled(): Promise<void> {
    while (this.#running.size > 0 || this.#pending.size > 0) {
      if (this.#pending.size > 0) this.#flush();
      await Promise.allSettled([...this.#running]);
    }
  }

  #scheduleFlush(): () => void {
    if (this.#windowMs === 0) {
      const immediate = setImmediate(() => this.#flush());
      return () => clearImmediate(immediate);
    }
    const timeout = setTimeout(() => this.#flush(), this.#windowMs);
    return () => clearTimeout(timeout);
  }

  #flush(): void {
    this.#cancelFlush?.();
    this.#cancelFlush = undefined;
    const batch = this.#pending;
    this.#pending = new Map();
    const running = this.#send(
      [...batch.keys()],
      [...batch.values()].map((each) => each.waiter),
    );
    this.#running.add(running);
    void running.finally(() => this.#running.delete(running));
  }

  async #send(openids: string[], waiters: Waiter[], halvings = 0): Promise<void> {
    try {
      const users = await this.#fetchUsers(openids);
      users.forEach((user, index) => waiters[index]!.resolve(user));
    } catch (error) {
      if (!(error instanceof WeChatApiError && error.errcode === 40003 && openids.length > 1)) {
        for (const waiter of waiters) waiter.reject(error);
        return;
      }
      // One bad openid (40003) fails the whole call, and WeChat's doc says a non-follower's may too. Halving finds
      // one bad openid cheaply, but a batch of many costs up to 2n−1 calls: after two halvings each openid is
      // asked alone, so that a batch of n never costs more than n + 7 calls.
      if (halvings >= MAX_HALVINGS) {
        await this.#sendEachAlone(openids, waiters);
        return;
      }
      const middle = Math.ceil(openids.length / 2);
      await Promise.all([
        this.#send(openids.slice(0, middle), waiters.slice(0, middle), halvings + 1),
        this.#send(openids.slice(middle), waiters.slice(middle), halvings + 1),
      ]);
    }
  }

  async #sendEachAlone(openids: string[], waiters: Waiter[]): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let index = next++; index < openids.length; index = next++) {
        try {
          waiters[index]!.resolve(await this.#fetchUser(openids[index]!));
        } catch (error) {
          waiters[index]!.reject(error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(SINGLE_CONCURRENCY, openids.length) }, worker));
  }
}
