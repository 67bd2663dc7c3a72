/**
 * The global access tokens, as WeChat keeps them:
 * - classic (`/cgi-bin/token`): each call mints a new token, and the one it replaces keeps working for the
 *   overlap (5 minutes), then answers 40001. Two servers that fetch their own tokens knock each other out.
 * - stable (`/cgi-bin/stable_token`): every caller gets the same token while it has more than the overlap left;
 *   inside the overlap a new one is minted and the old one lives out its life. `force_refresh` rotates at once
 *   and kills the old one (WeChat's docs: "会导致上次获取的 access_token 失效"), at most once per 30 s.
 * The two kinds are isolated: neither retires the other.
 */
import type { Clock } from '../clock.js';
import type { IdFactory } from '../ids.js';

export type TokenKind = 'classic' | 'stable';

interface TokenRecord {
  kind: TokenKind;
  /** When it stops working, in emulator milliseconds. */
  endsAt: number;
  /** Why it stops: its natural expiry (42001) or another token replacing it (40001). */
  ending: 'expiry' | 'replaced';
}

export interface IssuedToken {
  access_token: string;
  expires_in: number;
}

/** 0 when the token works; otherwise the errcode WeChat answers. */
export type TokenCheck = 0 | 40001 | 42001;

const FORCE_REFRESH_SPACING_MS = 30_000;

export class GlobalTokens {
  readonly #records = new Map<string, TokenRecord>();
  readonly #current: Record<TokenKind, string | undefined> = { classic: undefined, stable: undefined };
  #lastForcedAt = -Infinity;
  readonly #clock: Clock;
  readonly #ids: IdFactory;
  readonly #lifetimeMs: number;
  readonly #overlapMs: number;

  constructor(clock: Clock, ids: IdFactory, lifetime: number, overlap: number) {
    this.#clock = clock;
    this.#ids = ids;
    this.#lifetimeMs = lifetime * 1000;
    this.#overlapMs = overlap * 1000;
  }

  /** `/cgi-bin/token`: always a new token; the previous one gets the overlap. */
  mintClassic(): IssuedToken {
    this.#retire('classic', this.#clock.now() + this.#overlapMs);
    return this.#issue(this.#mint('classic'));
  }

  /** `/cgi-bin/stable_token` in normal mode: the same token while it has more than the overlap left. */
  stable(): IssuedToken {
    const current = this.#current.stable;
    const record = current === undefined ? undefined : this.#records.get(current);
    if (current !== undefined && record !== undefined && record.endsAt - this.#clock.now() > this.#overlapMs) {
      return this.#issue(current);
    }
    // Rotation: the old token keeps the rest of its life (at most the overlap), so both work meanwhile.
    return this.#issue(this.#mint('stable'));
  }

  /** Whether a force refresh would rotate now: WeChat ignores one within 30 s of the last. */
  forceRefreshWouldRotate(): boolean {
    return this.#clock.now() - this.#lastForcedAt >= FORCE_REFRESH_SPACING_MS;
  }

  /** `force_refresh: true`: a new stable token, and the old one dies at once. */
  forceStable(): IssuedToken {
    if (!this.forceRefreshWouldRotate()) return this.stable();
    this.#lastForcedAt = this.#clock.now();
    this.#retire('stable', this.#clock.now());
    return this.#issue(this.#mint('stable'));
  }

  check(token: string): TokenCheck {
    const record = this.#records.get(token);
    if (record === undefined) return 40001;
    if (this.#clock.now() < record.endsAt) return 0;
    return record.ending === 'expiry' ? 42001 : 40001;
  }

  /** Kills the current token(s) now, as if another server had refreshed them past the overlap. */
  revoke(kind: TokenKind | 'all' = 'all'): number {
    const kinds: TokenKind[] = kind === 'all' ? ['classic', 'stable'] : [kind];
    let revoked = 0;
    for (const each of kinds) revoked += this.#retire(each, this.#clock.now()) ? 1 : 0;
    return revoked;
  }

  /** The tokens that work now, for the console. */
  live(): Array<{ kind: TokenKind; expiresIn: number; current: boolean }> {
    const now = this.#clock.now();
    return [...this.#records.entries()]
      .filter(([, record]) => record.endsAt > now)
      .map(([token, record]) => ({
        kind: record.kind,
        expiresIn: Math.floor((record.endsAt - now) / 1000),
        current: this.#current[record.kind] === token,
      }));
  }

  #mint(kind: TokenKind): string {
    this.#prune();
    const token = this.#ids.token();
    this.#records.set(token, { kind, endsAt: this.#clock.now() + this.#lifetimeMs, ending: 'expiry' });
    this.#current[kind] = token;
    return token;
  }

  /** Shortens the current token's life to `until` (never lengthens it). */
  #retire(kind: TokenKind, until: number): boolean {
    const current = this.#current[kind];
    const record = current === undefined ? undefined : this.#records.get(current);
    if (record === undefined || record.endsAt <= until) return false;
    record.endsAt = until;
    record.ending = 'replaced';
    return true;
  }

  #issue(token: string): IssuedToken {
    const record = this.#records.get(token)!;
    // Whole seconds left, rounded to the nearest: a token minted a millisecond ago still has its 7200 s.
    return { access_token: token, expires_in: Math.round((record.endsAt - this.#clock.now()) / 1000) };
  }

  /** Forgets tokens dead for a day, so that a long test run does not grow the map without bound. */
  #prune(): void {
    const horizon = this.#clock.now() - 86_400_000;
    for (const [token, record] of this.#records) if (record.endsAt < horizon) this.#records.delete(token);
  }
}
