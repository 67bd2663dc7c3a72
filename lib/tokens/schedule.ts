/**
 * When a cached token is refreshed and when it stops being used, from WeChat's `expires_in`.
 * Times are milliseconds since the epoch, read from `Date.now()` so that fake timers drive them.
 */

/** A token as it is kept in the store. */
export interface CachedToken {
  accessToken: string;
  /** From here on the token is not used: a caller waits for a new one. */
  expiresAt: number;
  /** From here on, one background refresh starts while callers keep using the token. */
  refreshAt: number;
  /** When WeChat's answer arrived: a token fetched after a refusal was seen is not the refused generation. */
  fetchedAt?: number;
}

/**
 * - Stop using a token a margin before WeChat does: 10% of its life, at least 1 s and at most 60 s (and never
 *   more than half its life), so that the cache lifetime stays positive even for `expires_in: 300`.
 * - Refresh ahead in the last 300 s (at most half its life): WeChat rotates a stable token only once it has
 *   less than 300 s left, so an earlier refresh would just fetch the same token again.
 */
export function scheduleToken(accessToken: string, expiresIn: number, now: number): CachedToken {
  const margin = Math.min(Math.max(expiresIn * 0.1, 1), 60, expiresIn / 2);
  const lead = Math.max(Math.min(300, expiresIn / 2), margin);
  return {
    accessToken,
    expiresAt: now + (expiresIn - margin) * 1000,
    refreshAt: now + (expiresIn - lead) * 1000,
  };
}

/** A stored value is ours only if it has this shape; anything else (an old version, a stranger) is a miss. */
export function isCachedToken(value: unknown): value is CachedToken {
  if (value === null || typeof value !== 'object') return false;
  const token = value as Record<string, unknown>;
  return (
    typeof token.accessToken === 'string' && token.accessToken !== '' && typeof token.expiresAt === 'number' && typeof token.refreshAt === 'number'
  );
}
