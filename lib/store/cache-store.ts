/**
 * The three Keyv calls the library makes, with a failing store turned into a miss: an unreachable Redis slows
 * the site down (every lookup goes to WeChat) but does not take it down.
 *
 * Keyv 5 swallows store errors unless it was created with `throwOnErrors: true`: a failed `set` then only
 * answers `false` (seen here), and a failed `get` reads as a miss that nobody hears of.
 */
import type { Keyv } from 'keyv';
import { describeForeignError, type Logger } from '../util/logger.js';

export class CacheStore {
  readonly #keyv: Keyv;
  readonly #logger: Logger;

  constructor(keyv: Keyv, logger: Logger) {
    this.#keyv = keyv;
    this.#logger = logger;
  }

  async get(key: string): Promise<unknown> {
    try {
      return await this.#keyv.get<unknown>(key);
    } catch (error) {
      this.#warn('read', error);
      return undefined;
    }
  }

  /** `ttl` in milliseconds, at least 1: Keyv reads 0 as "for ever". */
  async set(key: string, value: unknown, ttl: number): Promise<void> {
    try {
      const stored = await this.#keyv.set(key, value, Math.max(1, Math.ceil(ttl)));
      if (stored === false) this.#warn('write', undefined);
    } catch (error) {
      this.#warn('write', error);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.#keyv.delete(key);
    } catch (error) {
      this.#warn('delete', error);
    }
  }

  #warn(operation: string, error: unknown): void {
    // The error's message is not repeated: a store's message may quote the value, and values are tokens.
    const cause = error === undefined ? 'Keyv answered false' : describeForeignError(error);
    this.#logger.warn(`koa-wechat-subscription: the store failed to ${operation} a key (${cause}); treating it as a miss`);
  }
}
