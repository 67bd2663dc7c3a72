/**
 * Signatures of WeChat message push ("服务器配置"): the `signature` WeChat adds to every push URL, the
 * `msg_signature` of safe mode, and a constant-time compare for checking either.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** sha1 of the parts sorted as strings and joined with nothing, as WeChat computes both signatures. */
function sha1OfSorted(parts: string[]): string {
  // WeChat sorts with a plain lexicographic sort, so no locale-aware compare here.
  return createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');
}

/**
 * The `signature` query parameter of a push: sha1 of token, timestamp and nonce, sorted and joined.
 * @returns 40 lowercase hex characters.
 */
export function pushSignature(token: string, timestamp: string, nonce: string): string {
  return sha1OfSorted([token, timestamp, nonce]);
}

/**
 * The `msg_signature` query parameter of a safe-mode push: as {@link pushSignature}, with the `Encrypt`
 * value as a fourth part.
 * @returns 40 lowercase hex characters.
 */
export function messageSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return sha1OfSorted([token, timestamp, nonce, encrypt]);
}

/**
 * Compares a signature we computed with one a request carried, in constant time so the compare does not
 * leak how many leading characters matched.
 * @returns false for different lengths or anything that is not a string.
 */
export function signaturesEqual(expected: string, actual: string): boolean {
  // The parameters come from query strings, which may hold arrays or nothing at all despite the types.
  if (typeof expected !== 'string' || typeof actual !== 'string') return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(actual, 'utf8');
  // timingSafeEqual throws on different lengths; the length of a signature is no secret.
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}
