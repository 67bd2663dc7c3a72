/**
 * The three Keyv calls the library makes, each bounded by the {@link StoreGuard}: a failing or silent store is a
 * miss (reads) or a dropped value (writes). An unreachable Redis slows the site down (every lookup goes to
 * WeChat) but neither takes it down nor holds a request.
 *
 * Keyv 5 swallows store errors unless it was created with `throwOnErrors: true`: a failed `set` then only
 * answers `false` (seen here), and a failed `get` reads as a miss that nobody hears of.
 */
import type { Keyv } from 'keyv';
import type { Logger } from '../util/logger.js';
import { StoreGuard } from './store-guard.js';

export class CacheStore {
  readonly #keyv: Keyv;
  /** Shared with the Redis lock on the same client: one outage, one state. */
  readonly guard: StoreGuard;

  constructor(keyv: Keyv, logger: Logger, timeoutMs: number) {
    this.#keyv = keyv;
    this.guard = new StoreGuard(timeoutMs, logger);
  }

  get(key: string): Promise<unknown> {
    return this.guard.run('read', () => this.#keyv.get<unknown>(key), undefined);
  }

  /** `ttl` in milliseconds, at least 1: Keyv reads 0 as "for ever". */
  async set(key: string, value: unknown, ttl: number): Promise<void> {
    await this.guard.run(
      'write',
      () => this.#keyv.set(key, value, Math.max(1, Math.ceil(ttl))),
      true,
      (stored) => stored === false,
    );
  }

  async delete(key: string): Promise<void> {
    await this.guard.run('delete', () => this.#keyv.delete(key), true);
  }
}
