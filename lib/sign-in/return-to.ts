/**
 * Where the visitor goes after signing in: the gated request's own path and query, and only ever a path on
 * this site. Anything that a browser could read as another origin is an open redirect, so it falls back to `/`.
 */

/**
 * The return path travels in the session, and a cookie session must stay under the browser's 4 KB per cookie
 * (3 sign-ins under way at most, base64 on top): past this length the query is dropped, then the path.
 */
export const MAX_RETURN_TO_LENGTH = 512;
/** Longer than any URL worth parsing: refused before any check. */
const MAX_INPUT_LENGTH = 8192;
/** Only a single `/` then a non-slash: `//evil.com` and `/\evil.com` are other hosts to a browser. */
const LOCAL_PATH = /^\/(?![/\\])/;

export function safeReturnTo(candidate: unknown): string {
  if (typeof candidate !== 'string' || candidate.length > MAX_INPUT_LENGTH || !LOCAL_PATH.test(candidate)) return '/';
  // Browsers drop tabs and newlines inside URLs and read `\` as `/`, which would turn `/\t/evil.com` into `//evil.com`.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(candidate)) return '/';
  // A final check by the URL parser itself: the path must stay on the origin it is resolved against.
  const base = 'http://return-to.invalid';
  const resolved = URL.canParse(candidate, base) ? new URL(candidate, base) : undefined;
  if (resolved?.origin !== base) return '/';
  if (candidate.length <= MAX_RETURN_TO_LENGTH) return candidate;
  const path = candidate.split(/[?#]/, 1)[0]!;
  return path.length <= MAX_RETURN_TO_LENGTH ? path : '/';
}
