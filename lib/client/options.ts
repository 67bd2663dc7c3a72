import { WeChatOptionsError } from '../errors.js';
import { requireCount, requireHttpUrl, requireSeconds } from '../util/option-checks.js';
import { APP_ID_PATTERN } from '../wechat/shapes.js';

/** Options of {@link WeChatClient}. Durations are in seconds, like every duration option of this library. */
export interface WeChatClientOptions {
  /** The Official Account's AppID (`wx…`), from the MP console. Required. */
  appId: string;
  /** The AppSecret. Required. Never logged, never put in an error. */
  appSecret: string;
  /** Base URL of the API endpoints (`/cgi-bin/*`, `/sns/*`). A proxy or the local emulator may take its place. Default `https://api.weixin.qq.com`. */
  apiBaseUrl?: string;
  /** Base URL of the web-authorization page (`/connect/oauth2/authorize`). Default `https://open.weixin.qq.com`. */
  oauthBaseUrl?: string;
  /** Seconds to wait for a whole answer before giving up on a request. Default 5. */
  timeout?: number;
  /** Retries of calls that are safe to repeat, after network errors, 5xx answers and errcode -1. */
  retry?: RetryOptions;
}

export interface RetryOptions {
  /** How many times to retry after the first attempt. Default 2; 0 turns retries off. */
  retries?: number;
  /** Seconds before the first retry; each next one waits twice as long, with jitter. Default 0.2. */
  minDelay?: number;
  /** The longest wait between two attempts, in seconds. Default 2. */
  maxDelay?: number;
}

/** The options after validation and defaults: frozen, and without the secret (the client keeps it private). */
export interface ResolvedClientOptions {
  readonly appId: string;
  readonly apiBaseUrl: string;
  readonly oauthBaseUrl: string;
  readonly timeout: number;
  readonly retry: Readonly<Required<RetryOptions>>;
}

export const DEFAULT_API_BASE_URL = 'https://api.weixin.qq.com';
export const DEFAULT_OAUTH_BASE_URL = 'https://open.weixin.qq.com';

/** Validates, defaults and freezes the client's options once. Every error names the option. */
export function resolveClientOptions(options: WeChatClientOptions): {
  resolved: ResolvedClientOptions;
  appSecret: string;
} {
  if (options === null || typeof options !== 'object') {
    throw new WeChatOptionsError('options', 'expected an object with at least appId and appSecret');
  }
  // Neither value is ever echoed: a wrong appId is often the secret, pasted into the wrong variable.
  if (typeof options.appId !== 'string' || !APP_ID_PATTERN.test(options.appId)) {
    throw new WeChatOptionsError('appId', 'expected the AppID from the MP console: wx and 16 hex digits, such as wx1234567890abcdef');
  }
  if (typeof options.appSecret !== 'string' || options.appSecret.trim() === '') {
    throw new WeChatOptionsError('appSecret', 'expected a non-empty string (the AppSecret from the MP console)');
  }
  if (/\s/.test(options.appSecret)) {
    throw new WeChatOptionsError('appSecret', 'contains white space: was it copied with a space or a line break?');
  }
  if (APP_ID_PATTERN.test(options.appSecret)) {
    throw new WeChatOptionsError('appSecret', 'looks like an AppID: were appId and appSecret swapped?');
  }
  const appId = options.appId;
  const retry = options.retry ?? {};
  if (retry === null || typeof retry !== 'object') {
    throw new WeChatOptionsError('retry', 'expected an object such as { retries: 2, minDelay: 0.2, maxDelay: 2 }');
  }
  const minDelay = requireSeconds('retry.minDelay', retry.minDelay, 0.2, 0, 60);
  const maxDelay = requireSeconds('retry.maxDelay', retry.maxDelay, 2, 0, 60);
  if (maxDelay < minDelay) {
    throw new WeChatOptionsError('retry.maxDelay', `must be at least retry.minDelay (${minDelay}), got ${maxDelay}`);
  }
  const resolved: ResolvedClientOptions = Object.freeze({
    appId,
    apiBaseUrl: requireBaseUrl('apiBaseUrl', options.apiBaseUrl, DEFAULT_API_BASE_URL),
    oauthBaseUrl: requireBaseUrl('oauthBaseUrl', options.oauthBaseUrl, DEFAULT_OAUTH_BASE_URL),
    timeout: requireSeconds('timeout', options.timeout, 5, 0.001, 120),
    retry: Object.freeze({ retries: requireCount('retry.retries', retry.retries, 2, 10), minDelay, maxDelay }),
  });
  return { resolved, appSecret: options.appSecret };
}

/** An absolute http(s) URL with no query or fragment; a path prefix (a proxy's) is kept, the trailing slash is not. */
function requireBaseUrl(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  const url = requireHttpUrl(name, value, fallback);
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new WeChatOptionsError(name, 'must not carry a query string, a fragment or credentials');
  }
  return url.href.replace(/\/+$/, '');
}
