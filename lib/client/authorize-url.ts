import { WeChatArgumentError } from '../errors.js';
import { STATE_PATTERN } from '../wechat/shapes.js';
import type { OAuthScope } from './types.js';

/** What to put in the web-authorization URL. */
export interface AuthorizeUrlParams {
  /** The absolute callback URL; its host must be the OAuth domain set in the MP console (else page 10003). */
  redirectUri: string;
  /** A fresh single-use nonce tied to the visitor's session: `a-zA-Z0-9`, at most 128 characters. */
  state: string;
  /** Default `snsapi_base`: silent, gives the openid only. */
  scope?: OAuthScope;
  /** Forces the consent sheet even when WeChat would skip it. */
  forcePopup?: boolean;
}

const SCOPES: readonly string[] = ['snsapi_base', 'snsapi_userinfo'] satisfies OAuthScope[];

/**
 * Builds `/connect/oauth2/authorize` in the order WeChat enforces: appid, redirect_uri, response_type, scope,
 * state, then the extras, and `#wechat_redirect` last. `connect_redirect=1` asks WeChat not to call the
 * callback twice with the same code, as it otherwise sometimes does.
 */
export function buildAuthorizeUrl(oauthBaseUrl: string, appId: string, params: AuthorizeUrlParams): string {
  const { redirectUri, state, scope = 'snsapi_base', forcePopup = false } = params;
  const callback = typeof redirectUri === 'string' && URL.canParse(redirectUri) ? new URL(redirectUri) : undefined;
  if (callback === undefined || (callback.protocol !== 'http:' && callback.protocol !== 'https:')) {
    throw new WeChatArgumentError('redirectUri', 'expected an absolute http(s) URL');
  }
  // WeChat appends ?code=…&state=… to the redirect_uri; a fragment would swallow them.
  if (callback.hash !== '') throw new WeChatArgumentError('redirectUri', 'must not have a #fragment');
  if (typeof state !== 'string' || !STATE_PATTERN.test(state)) {
    throw new WeChatArgumentError('state', 'expected 1 to 128 characters of a-z, A-Z and 0-9, as WeChat requires');
  }
  if (!SCOPES.includes(scope)) {
    throw new WeChatArgumentError('scope', `expected snsapi_base or snsapi_userinfo, got ${JSON.stringify(scope)}`);
  }
  const query = [
    ['appid', appId],
    // Normalized (a raw space becomes %20), then encoded exactly once, as WeChat expects.
    ['redirect_uri', callback.href],
    ['response_type', 'code'],
    ['scope', scope],
    ['state', state],
    ...(forcePopup ? [['forcePopup', 'true']] : []),
    ['connect_redirect', '1'],
  ]
    .map(([name, value]) => `${name}=${encodeURIComponent(value!)}`)
    .join('&');
  return `${oauthBaseUrl}/connect/oauth2/authorize?${query}#wechat_redirect`;
}
