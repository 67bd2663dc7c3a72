/**
 * What web authorization hands out: codes (single use, 5 minutes), the visitor's OAuth access tokens (2 hours,
 * good for `/sns/*` only) and refresh tokens (30 days).
 */
import type { OAuthScope } from '../../client/types.js';
import type { Clock } from '../clock.js';
import type { IdFactory } from '../ids.js';

/** Whom a code or token speaks for. */
export interface Grant {
  readonly openid: string;
  readonly scope: OAuthScope;
  /** The virtual visitor of a snapshot page. */
  readonly snapshot: boolean;
}

interface CodeRecord extends Grant {
  expiresAt: number;
  used: boolean;
}

interface TokenRecord extends Grant {
  expiresAt: number;
  refreshToken: string;
}

interface RefreshRecord extends Grant {
  expiresAt: number;
  revoked: boolean;
}

export type Redeemed = { errcode: 0; accessToken: string; refreshToken: string; grant: Grant } | { errcode: 40029 | 40163 };

/** Seconds a visitor's OAuth access token lives. */
export const OAUTH_TOKEN_LIFETIME = 7200;
const REFRESH_TOKEN_LIFETIME_MS = 30 * 86_400_000;

export class OAuthGrants {
  readonly #codes = new Map<string, CodeRecord>();
  readonly #tokens = new Map<string, TokenRecord>();
  readonly #refreshTokens = new Map<string, RefreshRecord>();
  readonly #clock: Clock;
  readonly #ids: IdFactory;
  readonly #codeLifetimeMs: number;

  constructor(clock: Clock, ids: IdFactory, codeLifetime: number) {
    this.#clock = clock;
    this.#ids = ids;
    this.#codeLifetimeMs = codeLifetime * 1000;
  }

  issueCode(grant: Grant): string {
    this.#prune();
    const code = this.#ids.code();
    this.#codes.set(code, { ...grant, expiresAt: this.#clock.now() + this.#codeLifetimeMs, used: false });
    return code;
  }

  /** A code works once (then 40163) and for 5 minutes (then 40029, as an unknown code). */
  redeem(code: string): Redeemed {
    const record = this.#codes.get(code);
    if (record === undefined) return { errcode: 40029 };
    if (record.used) return { errcode: 40163 };
    if (this.#clock.now() >= record.expiresAt) return { errcode: 40029 };
    record.used = true;
    const refreshToken = this.#ids.token();
    const grant: Grant = { openid: record.openid, scope: record.scope, snapshot: record.snapshot };
    this.#refreshTokens.set(refreshToken, { ...grant, expiresAt: this.#clock.now() + REFRESH_TOKEN_LIFETIME_MS, revoked: false });
    return { errcode: 0, accessToken: this.#mintToken(grant, refreshToken), refreshToken, grant };
  }

  /** `/sns/oauth2/refresh_token`: a new access token for the same grant. */
  refresh(refreshToken: string): { errcode: 0; accessToken: string; grant: Grant } | { errcode: 40030 | 42002 | 42007 } {
    const record = this.#refreshTokens.get(refreshToken);
    if (record === undefined) return { errcode: 40030 };
    if (record.revoked) return { errcode: 42007 };
    if (this.#clock.now() >= record.expiresAt) return { errcode: 42002 };
    return { errcode: 0, accessToken: this.#mintToken(record, refreshToken), grant: record };
  }

  /** The grant behind a visitor's OAuth token, or the errcode: 40001 unknown, 42001 expired. */
  check(accessToken: string): { errcode: 0; grant: Grant } | { errcode: 40001 | 42001 } {
    const record = this.#tokens.get(accessToken);
    if (record === undefined) return { errcode: 40001 };
    if (this.#clock.now() >= record.expiresAt) return { errcode: 42001 };
    return { errcode: 0, grant: record };
  }

  /** As when the user changes their password: the user's tokens and refresh tokens stop working (42007). */
  revokeUser(openid: string): void {
    for (const [token, record] of this.#tokens) if (record.openid === openid) this.#tokens.delete(token);
    for (const record of this.#refreshTokens.values()) if (record.openid === openid) record.revoked = true;
  }

  #mintToken(grant: Grant, refreshToken: string): string {
    const accessToken = this.#ids.token();
    const { openid, scope, snapshot } = grant;
    this.#tokens.set(accessToken, { openid, scope, snapshot, refreshToken, expiresAt: this.#clock.now() + OAUTH_TOKEN_LIFETIME * 1000 });
    return accessToken;
  }

  /** Forgets what died a day ago, so that memory stays bounded over a long run. */
  #prune(): void {
    const horizon = this.#clock.now() - 86_400_000;
    for (const [code, record] of this.#codes) if (record.expiresAt < horizon) this.#codes.delete(code);
    for (const [token, record] of this.#tokens) if (record.expiresAt < horizon) this.#tokens.delete(token);
    for (const [token, record] of this.#refreshTokens) if (record.expiresAt < horizon) this.#refreshTokens.delete(token);
  }
}
