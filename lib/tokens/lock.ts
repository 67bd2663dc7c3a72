/**
 * The seam that lets several processes share one token: whoever holds the lock fetches, the others wait and
 * then find the new token in the shared store. The in-memory lock here serves one process (and the tests of
 * the protocol); a Redis-backed store brings its Redis lock (`redis-lock.ts`).
 */

/** Gives back the lock. Safe to call twice. */
export type ReleaseLock = () => Promise<void>;

/** A mutual-exclusion lock by name, shared by every process that shares the token store. */
export interface TokenLock {
  /**
   * Waits until the lock named `key` is free, takes it and resolves with its release. The lock frees itself
   * after `ttl` seconds, so that a holder that died cannot block the others for ever.
   */
  acquire(key: string, ttl: number): Promise<ReleaseLock>;
}

/**
 * A lock that is asked without waiting, so that a waiter can look in the store between attempts and take the
 * holder's token as soon as it is there. `unavailable`: the lock could not be asked (its store is down).
 */
export interface PollingLock {
  attempt(key: string, ttl: number): Promise<ReleaseLock | 'held' | 'unavailable'>;
}

export function isPollingLock(lock: unknown): lock is PollingLock {
  return typeof (lock as Partial<PollingLock> | null)?.attempt === 'function';
}

/** A lock that serves one process: callers queue in the order they came. */
export class MemoryLock implements TokenLock {
  readonly #tails = new Map<string, Promise<void>>();

  async acquire(key: string, ttl: number): Promise<ReleaseLock> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let free!: () => void;
    const released = new Promise<void>((resolve) => (free = resolve));
    const tail = previous.then(() => released);
    this.#tails.set(key, tail);
    await previous;
    const timer = setTimeout(free, ttl * 1000);
    timer.unref();
    return () => {
      clearTimeout(timer);
      free();
      // The last holder cleans up, so that the map does not grow with every key ever locked.
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
      return Promise.resolve();
    };
  }
}

/** The default lock: one per process, so that several `createWeChat` instances of one process share it. */
export const processLock: TokenLock = new MemoryLock();
