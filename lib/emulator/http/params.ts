/**
 * Reading WeChat's parameters as strictly as WeChat does: a parameter that is missing or empty is missing, and
 * one that is repeated is treated as a wrong value of that parameter (which one would WeChat take? refusing
 * is the only answer that cannot hide a bug).
 */
export type Param = { state: 'missing' } | { state: 'repeated' } | { state: 'present'; value: string };

/** A parameter's value, or its absence, or its repetition. */
export function param(source: URLSearchParams, name: string): Param {
  const values = source.getAll(name);
  if (values.length > 1) return { state: 'repeated' };
  const value = values[0];
  if (value === undefined || value === '') return { state: 'missing' };
  return { state: 'present', value };
}

/** A field of a JSON body, read with the same three outcomes; only strings count as present. */
export function field(body: Record<string, unknown>, name: string): Param {
  const value = body[name];
  if (typeof value !== 'string' || value === '') return { state: 'missing' };
  return { state: 'present', value };
}

/**
 * Checks a call that the app makes: appid (41002, 40013), then secret (41004, 40125) unless the call takes
 * none (the refresh token is its credential), then grant_type (40002). A form body sent to the JSON-only
 * stable_token reads as nothing, hence 41002 first.
 */
export function appCallErrcode(
  call: { appid: Param; secret: Param | 'none'; grantType: Param },
  expectedGrantType: string,
  app: { appId: string; appSecret: string },
): number {
  const { appid, secret, grantType } = call;
  if (appid.state === 'missing') return 41002;
  if (appid.state === 'repeated' || appid.value !== app.appId) return 40013;
  if (secret === 'none') return grantTypeErrcode(grantType, expectedGrantType);
  if (secret.state === 'missing') return 41004;
  if (secret.state === 'repeated' || secret.value !== app.appSecret) return 40125;
  return grantTypeErrcode(grantType, expectedGrantType);
}

function grantTypeErrcode(grantType: Param, expected: string): number {
  return grantType.state === 'present' && grantType.value === expected ? 0 : 40002;
}

/** The global token of a `/cgi-bin/*` call: 41001 missing, 40001 unknown or replaced, 42001 expired. */
export function globalTokenErrcode(token: Param, check: (token: string) => number): number {
  if (token.state === 'missing') return 41001;
  if (token.state === 'repeated') return 40001;
  return check(token.value);
}
