/**
 * WeChat puts the app secret, access tokens, refresh tokens and OAuth codes in query strings (and the secret in
 * the stable_token body). Everything we log or put in an error goes through here first.
 */

const REDACTED = '***';

/** Query parameters whose values are secrets wherever they appear. */
const SECRET_QUERY_PARAM = /([?&](?:secret|appsecret|access_token|refresh_token|code)=)[^&#\s"'<>]*/gi;

/** Replaces the values of secret query parameters in any text that may hold a URL. */
export function redactQuery(text: string): string {
  return text.replace(SECRET_QUERY_PARAM, `$1${REDACTED}`);
}

/**
 * Redacts secret query parameters, then every occurrence of the known secret values (raw and URL-encoded).
 * The second pass catches secrets in places no parameter name announces: an upstream errmsg that echoes a
 * token, a JSON body, a low-level error message.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let result = redactQuery(text);
  for (const secret of secrets) {
    if (secret === '') continue;
    result = result.replaceAll(secret, REDACTED);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) result = result.replaceAll(encoded, REDACTED);
  }
  return result;
}
