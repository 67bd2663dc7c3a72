/**
 * Reads `/connect/oauth2/authorize` as strictly as WeChat does: the parameters in WeChat's order, the
 * redirect_uri's host on the allow-list (the MP console's 网页授权域名), a known scope, and a state of at most
 * 128 letters and digits. Each refusal is one of WeChat's error pages. `emulator_*` parameters after `state`
 * let scripts choose the visitor without a page.
 */
import type { OAuthScope } from '../../client/types.js';
import { STATE_PATTERN } from '../../wechat/shapes.js';
import { nicknameProblem, type ResolvedEmulatorOptions } from '../options.js';
import type { AuthorizeProblem } from '../pages/error-page.js';
import { param } from '../http/params.js';

/** What a script asked for, after `state`: `emulator_user`, `emulator_subscribe`, `emulator_consent`, `emulator_snapshot`. */
export interface ScriptedChoice {
  nickname: string;
  /** For a user created by this request; an existing user keeps their state. */
  subscribed: boolean;
  consent: 'allow' | 'refuse';
  snapshot: boolean;
}

export interface AuthorizeRequest {
  /** The query string as received, for the forms of the phone page to carry along. */
  readonly query: string;
  readonly redirectUri: string;
  readonly scope: OAuthScope;
  readonly state: string;
  readonly forcePopup: boolean;
  readonly script: ScriptedChoice | undefined;
}

const ORDER = ['appid', 'redirect_uri', 'response_type', 'scope', 'state'] as const;
const SCOPES: readonly string[] = ['snsapi_base', 'snsapi_userinfo'];

type Parsed = { ok: true; request: AuthorizeRequest } | { ok: false; problem: AuthorizeProblem };

const problem = (code: number | undefined, zh: string, en: string, fix: string): Parsed => ({ ok: false, problem: { code, zh, en, fix } });

export function parseAuthorizeRequest(query: string, options: ResolvedEmulatorOptions): Parsed {
  const params = new URLSearchParams(query);
  const appid = param(params, 'appid');
  if (appid.state === 'missing') return problem(10012, 'appid 参数错误', 'The appid is empty.', 'add appid as the first parameter.');
  if (appid.state === 'repeated' || appid.value !== options.appId) {
    return problem(undefined, 'appid 参数错误', 'This AppID is not the account of this page.', `the emulator's AppID is ${options.appId}.`);
  }
  const redirect = param(params, 'redirect_uri');
  if (redirect.state === 'missing')
    return problem(10011, 'redirect_uri 参数错误', 'The redirect_uri is empty.', 'add redirect_uri, encoded once with encodeURIComponent.');
  const redirectUri = redirect.state === 'present' ? parseRedirectUri(redirect.value) : undefined;
  if (redirect.state === 'repeated' || redirectUri === undefined) {
    return problem(
      undefined,
      'redirect_uri 参数错误',
      'The redirect_uri is not an absolute http(s) URL without a fragment.',
      'encode redirect_uri once with encodeURIComponent.',
    );
  }
  if (!hostAllowed(redirectUri, options.oauthDomains)) {
    return problem(
      10003,
      'redirect_uri 域名与后台配置不一致',
      'The redirect_uri domain differs from the one configured for this account.',
      `${redirectUri.host} is not among the OAuth domains (${options.oauthDomains.join(', ')}); set the emulator's oauthDomains.`,
    );
  }
  const responseType = param(params, 'response_type');
  if (responseType.state !== 'present' || responseType.value !== 'code') {
    return problem(undefined, 'response_type 参数错误', 'response_type must be code.', 'send response_type=code.');
  }
  const scope = param(params, 'scope');
  if (scope.state === 'missing') return problem(10010, 'scope 参数错误', 'The scope is empty.', 'send scope=snsapi_base or scope=snsapi_userinfo.');
  if (scope.state === 'repeated' || !SCOPES.includes(scope.value)) {
    return problem(
      10005,
      '此公众号并没有这些 scope 的权限',
      'This account has no permission for this scope.',
      'send scope=snsapi_base or scope=snsapi_userinfo.',
    );
  }
  const state = param(params, 'state');
  if (state.state === 'missing') return problem(10013, 'state 参数错误', 'The state is empty.', 'send a fresh random state of letters and digits.');
  if (state.state === 'repeated' || !STATE_PATTERN.test(state.value)) {
    return problem(
      undefined,
      'state 参数错误',
      'The state may hold only a-z, A-Z and 0-9, at most 128 bytes.',
      'use letters and digits only, at most 128 of them.',
    );
  }
  const names = [...params.keys()];
  if (ORDER.some((name, index) => names[index] !== name)) {
    return problem(
      undefined,
      '参数错误',
      `The parameters are out of order: WeChat needs ${ORDER.join(', ')} first, in that order.`,
      `got ${names.slice(0, 5).join(', ')}. Other parameters go after state.`,
    );
  }
  const script = parseScript(params);
  if (typeof script === 'string') return problem(undefined, '参数错误', script, 'see the README: emulator_user=<name>&emulator_subscribe=0|1.');
  if (script?.snapshot === true && scope.value !== 'snsapi_userinfo') {
    return problem(undefined, '参数错误', 'Only snsapi_userinfo requests can open as a snapshot page.', 'ask for scope=snsapi_userinfo.');
  }
  return {
    ok: true,
    request: {
      query,
      redirectUri: redirect.value,
      scope: scope.value as OAuthScope,
      state: state.value,
      forcePopup: params.get('forcePopup') === 'true',
      script,
    },
  };
}

/** The callback WeChat sends the browser to: `code` and `state` appended, before any fragment. */
export function callbackUrl(redirectUri: string, fields: { code?: string; state: string }): string {
  const hashAt = redirectUri.indexOf('#');
  const [base, hash] = hashAt === -1 ? [redirectUri, ''] : [redirectUri.slice(0, hashAt), redirectUri.slice(hashAt)];
  const query = new URLSearchParams(fields.code === undefined ? { state: fields.state } : { code: fields.code, state: fields.state });
  return `${base}${base.includes('?') ? '&' : '?'}${query.toString()}${hash}`;
}

function parseRedirectUri(value: string): URL | undefined {
  // URL would quietly trim spaces that the callback, built from the raw value, would keep.
  if (/[\s\p{Cc}]/u.test(value)) return undefined;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hash === '' && !value.includes('#') ? url : undefined;
  } catch {
    return undefined;
  }
}

/** The exact host, as WeChat matches it (no subdomains); an entry with a port matches that port only. */
function hostAllowed(url: URL, domains: readonly string[]): boolean {
  // URL drops a scheme's default port, so `host:443` must be matched against the port in use.
  const port = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port;
  return domains.some((domain) => (domain.includes(':') ? `${url.hostname}:${port}` === domain : url.hostname === domain));
}

function parseScript(params: URLSearchParams): ScriptedChoice | string | undefined {
  const user = param(params, 'emulator_user');
  if (user.state === 'missing') {
    return ['emulator_subscribe', 'emulator_consent', 'emulator_snapshot'].some((name) => params.has(name))
      ? 'emulator_subscribe, emulator_consent and emulator_snapshot need emulator_user.'
      : undefined;
  }
  if (user.state === 'repeated') return 'emulator_user is repeated.';
  const nicknameIssue = nicknameProblem(user.value);
  if (nicknameIssue !== undefined) return `emulator_user ${nicknameIssue}.`;
  const subscribe = params.get('emulator_subscribe') ?? '0';
  if (subscribe !== '0' && subscribe !== '1') return 'emulator_subscribe must be 0 or 1.';
  const consent = params.get('emulator_consent') ?? 'allow';
  if (consent !== 'allow' && consent !== 'refuse') return 'emulator_consent must be allow or refuse.';
  const snapshot = params.get('emulator_snapshot') ?? '0';
  if (snapshot !== '0' && snapshot !== '1') return 'emulator_snapshot must be 0 or 1.';
  return { nickname: user.value.trim(), subscribed: subscribe === '1', consent, snapshot: snapshot === '1' };
}
