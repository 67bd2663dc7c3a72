/**
 * WeChat puts the app secret, access tokens, refresh tokens and OAuth codes in query strings (and the secret in
 * the stable_token body). Everything we log or put in an error goes through here first.
 */

const REDACTED = '***';

// The names under which WeChat's secrets travel: query strings, form bodies, JSON.
/** `secret=…`, not preceded by a word character (so `errcode=` is left alone). */
const SECRET_PARAM = /(^|\W)((?:secret|appsecret|access_token|refresh_token|code)=)[^&#\s"'<>]*/gi;
/** `"access_token": "…`, closed or cut off: a truncated body still holds a secret. */
const SECRET_JSON_FIELD = /("(?:secret|appsecret|access_token|refresh_token|code)"\s*:\s*")[^"]*/gi;

/** Masks the values of secret parameters and JSON fields in any text: a URL, a body, an upstream page. */
export function maskSecretFields(text: string): string {
  return text.replace(SECRET_PARAM, `$1$2${REDACTED}`).replace(SECRET_JSON_FIELD, `$1${REDACTED}`);
}

/**
 * Masks secret parameters and fields by name, then every occurrence of the known secret values (raw and
 * URL-encoded). The second pass catches secrets that no name announces: an upstream errmsg that echoes a
 * token, a low-level error message.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let result = maskSecretFields(text);
  for (const secret of secrets) {
    if (secret === '') continue;
    result = result.replaceAll(secret, REDACTED);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) result = result.replaceAll(encoded, REDACTED);
  }
  return result;
}
