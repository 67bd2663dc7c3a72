/**
 * Every option of the library, parsed, defaulted and frozen once, in one place: the services' (one set per
 * AppID), the site's (per `createWeChat()` or drop-in) and the gate's (per route). An unknown or wrong option
 * fails at start-up with its name; a secret is never echoed.
 */
import type { Context } from 'koa';
import type { Keyv } from 'keyv';
import { WeChatOptionsError } from './errors.js';
import type { OAuthScope } from './client/types.js';
import { DEFAULT_CACHE_MAX_ENTRIES } from './store/memory-store.js';
import { DEFAULT_STORE_TIMEOUT_MS } from './store/store-guard.js';
import { PushReceiver, type PushMode } from './push/receiver.js';
import type { TokenSource } from './tokens/fetched-tokens.js';
import type { GateOptions, OnUnknown, PushOptions, ServiceOptions, SiteOptions, WeChatOptions } from './types.js';
import { describeValue, rejectUnknownOptions, requireCount, requireHttpUrl, requireSeconds } from './util/option-checks.js';

/** The services' options, validated and frozen (the client's are validated by the client). */
export interface ResolvedServiceOptions {
  readonly tokenSource: TokenSource | 'provider';
  readonly statusTtl: number;
  readonly unsubscribedTtl: number;
  readonly batchWindow: number;
  readonly cacheMaxEntries: number;
  readonly storeTimeout: number;
}

export interface ResolvedSiteOptions {
  /** The dedicated callback path, or undefined: the gated URL itself. */
  readonly callbackPath: string | undefined;
  readonly publicUrl: string | undefined;
  readonly onlyInWeChat: boolean;
  readonly accountName: string;
  readonly qrCodeUrl: string | undefined;
  readonly renderPage: SiteOptions['renderPage'];
  readonly push: ResolvedPushOptions | undefined;
}

/** The push endpoint's options; the token and key are held by `receiver` only, in private fields. */
export interface ResolvedPushOptions {
  readonly path: string;
  readonly mode: PushMode;
  readonly timestampWindow: number;
  readonly replyTimeout: number;
  readonly onEvent: PushOptions['onEvent'];
  readonly receiver: PushReceiver;
}

export interface ResolvedGateOptions {
  readonly enforce: boolean;
  readonly scope: OAuthScope;
  /** Seconds; undefined: any answer the store keeps. */
  readonly statusMaxAge: number | undefined;
  /** Seconds; undefined: as long as the session. */
  readonly signInMaxAge: number | undefined;
  readonly onUnknown: OnUnknown;
  readonly onNotSubscribed: ((ctx: Context) => unknown) | undefined;
}

const CLIENT_OPTION_NAMES = ['appId', 'appSecret', 'apiBaseUrl', 'oauthBaseUrl', 'timeout', 'retry'] as const;
export const SERVICE_OPTION_NAMES = [
  ...CLIENT_OPTION_NAMES,
  'tokenSource',
  'tokenProvider',
  'store',
  'lock',
  'statusTtl',
  'unsubscribedTtl',
  'batchWindow',
  'cacheMaxEntries',
  'storeTimeout',
  'logger',
] as const;
const SITE_OPTION_NAMES = ['callbackPath', 'publicUrl', 'onlyInWeChat', 'accountName', 'qrCodeUrl', 'renderPage', 'push'] as const;
const PUSH_OPTION_NAMES = ['token', 'encodingAESKey', 'mode', 'path', 'timestampWindow', 'replyTimeout', 'onEvent'] as const;
const PATH_PATTERN = /^\/[A-Za-z0-9\-._~/]*$/;
const GATE_OPTION_NAMES = ['enforce', 'scope', 'statusMaxAge', 'signInMaxAge', 'onUnknown', 'onNotSubscribed'] as const;
const WECHAT_OPTION_NAMES: readonly string[] = [...SERVICE_OPTION_NAMES, ...SITE_OPTION_NAMES];

/** Names of 0.1 that now mean one thing each; a route given the old one is told the new. */
const RENAMED_GATE_OPTIONS: Readonly<Record<string, string>> = { maxAge: 'signInMaxAge', statusTtl: 'statusMaxAge' };

const DAY = 86_400;
const YEAR = 366 * DAY;

export function resolveServiceOptions(options: ServiceOptions): ResolvedServiceOptions {
  const { tokenSource, tokenProvider, store, lock, logger } = options;
  if (tokenProvider !== undefined && typeof tokenProvider !== 'function') {
    throw new WeChatOptionsError('tokenProvider', 'expected a function that resolves with the access token');
  }
  if (tokenProvider !== undefined && tokenSource !== undefined) {
    throw new WeChatOptionsError('tokenSource', 'cannot be combined with tokenProvider: the provider is the source');
  }
  if (tokenSource !== undefined && tokenSource !== 'stable' && tokenSource !== 'classic') {
    throw new WeChatOptionsError('tokenSource', `expected 'stable' or 'classic', got ${describeValue(tokenSource)}`);
  }
  if (store !== undefined && !isKeyvLike(store)) {
    throw new WeChatOptionsError(
      'store',
      'expected a Keyv instance, such as new Keyv(new KeyvRedis("redis://localhost:6379")); a bare store adapter must be wrapped in new Keyv(…)',
    );
  }
  if (lock !== undefined && (lock === null || typeof lock.acquire !== 'function')) {
    throw new WeChatOptionsError('lock', 'expected an object with acquire(key, ttl), resolving with a release function');
  }
  if (logger !== undefined && (logger === null || typeof logger.warn !== 'function')) {
    throw new WeChatOptionsError('logger', 'expected an object with a warn(message) method, such as console');
  }
  return Object.freeze({
    tokenSource: tokenProvider !== undefined ? 'provider' : (tokenSource ?? 'stable'),
    statusTtl: requireSeconds('statusTtl', options.statusTtl, 300, 0, DAY),
    unsubscribedTtl: requireSeconds('unsubscribedTtl', options.unsubscribedTtl, 15, 0, DAY),
    batchWindow: requireSeconds('batchWindow', options.batchWindow, 0.002, 0, 1),
    cacheMaxEntries: requireCount('cacheMaxEntries', options.cacheMaxEntries, DEFAULT_CACHE_MAX_ENTRIES, 10_000_000, 1),
    storeTimeout: requireSeconds('storeTimeout', options.storeTimeout, DEFAULT_STORE_TIMEOUT_MS / 1000, 0.001, 60),
  });
}

/** `appId` is the services': a safe-mode push carries it, and is refused without it. */
export function resolveSiteOptions(options: SiteOptions & Pick<WeChatOptions, 'appId'>): ResolvedSiteOptions {
  const { callbackPath, publicUrl, onlyInWeChat = false, accountName = 'our Official Account', qrCodeUrl, renderPage } = options;
  if (callbackPath !== undefined && !isPath(callbackPath)) {
    throw new WeChatOptionsError('callbackPath', `expected a path such as "/wechat/callback", got ${describeValue(callbackPath)}`);
  }
  if (typeof onlyInWeChat !== 'boolean') throw new WeChatOptionsError('onlyInWeChat', `expected true or false, got ${describeValue(onlyInWeChat)}`);
  if (typeof accountName !== 'string' || accountName.trim() === '' || accountName.length > 64) {
    throw new WeChatOptionsError('accountName', 'expected the account name, 1 to 64 characters');
  }
  if (renderPage !== undefined && typeof renderPage !== 'function') {
    throw new WeChatOptionsError(
      'renderPage',
      'expected a function (ctx, page) that sets ctx.body, such as (ctx, page) => ctx.render("wechat-page", page)',
    );
  }
  return Object.freeze({
    callbackPath,
    publicUrl: publicUrl === undefined ? undefined : requireOrigin(publicUrl),
    onlyInWeChat,
    accountName,
    qrCodeUrl: qrCodeUrl === undefined ? undefined : requireHttpUrl('qrCodeUrl', qrCodeUrl, 'https://example.com/qr.jpg').href,
    renderPage,
    push: options.push === undefined ? undefined : resolvePushOptions(options.push, options.appId, callbackPath),
  });
}

/** Every message names the MP console's field; none quotes the token or the key, which are secrets. */
function resolvePushOptions(push: PushOptions, appId: string, callbackPath: string | undefined): ResolvedPushOptions {
  if (push === null || typeof push !== 'object')
    throw new WeChatOptionsError('push', "expected an object such as { token }, the Token of the MP console's server configuration");
  rejectUnknownOptions(push, PUSH_OPTION_NAMES, 'push.');
  const { token, encodingAESKey, path = '/wechat/events', onEvent } = push;
  if (typeof token !== 'string' || !/^[A-Za-z0-9]{3,32}$/.test(token)) {
    throw new WeChatOptionsError('push.token', "expected the Token (令牌) of the MP console's server configuration: 3 to 32 letters and digits");
  }
  if (encodingAESKey !== undefined && (typeof encodingAESKey !== 'string' || !/^[A-Za-z0-9+/]{43}$/.test(encodingAESKey))) {
    throw new WeChatOptionsError(
      'push.encodingAESKey',
      "expected the EncodingAESKey (消息加解密密钥) of the MP console's server configuration: 43 letters and digits",
    );
  }
  const mode = push.mode ?? (encodingAESKey === undefined ? 'plaintext' : 'safe');
  if (mode !== 'plaintext' && mode !== 'compatible' && mode !== 'safe') {
    // Not quoted: a mode is short, and so is a token pasted into the wrong field.
    throw new WeChatOptionsError('push.mode', "expected 'plaintext', 'compatible' or 'safe'");
  }
  if (mode !== 'plaintext' && encodingAESKey === undefined)
    throw new WeChatOptionsError('push.encodingAESKey', `is required in ${mode} mode: the pushes are encrypted with it`);
  if (!isPath(path)) throw new WeChatOptionsError('push.path', `expected a path such as "/wechat/events", got ${describeValue(path)}`);
  if (path === callbackPath)
    throw new WeChatOptionsError('push.path', 'must differ from callbackPath: WeChat pushes to one and returns visitors to the other');
  if (onEvent !== undefined && typeof onEvent !== 'function')
    throw new WeChatOptionsError('push.onEvent', 'expected a function (push, ctx) that may resolve with a reply');
  const timestampWindow = requireSeconds('push.timestampWindow', push.timestampWindow, 300, 30, 86_400);
  return Object.freeze({
    path,
    mode,
    timestampWindow,
    // Past 4.5 s, the reply would come after WeChat stopped waiting, and the push would be sent again.
    replyTimeout: requireSeconds('push.replyTimeout', push.replyTimeout, 3, 0.01, 4.5),
    onEvent,
    receiver: new PushReceiver({ token, mode, encodingAESKey, appId, timestampWindow }),
  });
}

function isPath(path: unknown): path is string {
  return typeof path === 'string' && PATH_PATTERN.test(path) && !path.includes('//');
}

/** `statusTtl` is the services': answers are not kept longer, so a route cannot accept older ones. */
export function resolveGateOptions(options: GateOptions, statusTtl: number): ResolvedGateOptions {
  if (options === null || typeof options !== 'object') throw new WeChatOptionsError('options', 'expected an object');
  rejectRenamed(options, ['maxAge', 'statusTtl']);
  rejectUnknownOptions(options, GATE_OPTION_NAMES);
  return pickGateOptions(options, statusTtl);
}

/** The one-line form's options, split into the services' and site's (`wechat`) and the route's (`gate`). */
export function splitDropInOptions(options: Record<string, unknown>): { wechat: Record<string, unknown>; gate: GateOptions } {
  if (options === null || typeof options !== 'object') {
    throw new WeChatOptionsError('options', 'expected an object with at least appId and appSecret');
  }
  // statusTtl is the services' own here: how long answers are kept.
  rejectRenamed(options, ['maxAge']);
  rejectUnknownOptions(options, [...WECHAT_OPTION_NAMES, ...GATE_OPTION_NAMES]);
  const wechat: Record<string, unknown> = {};
  const gate: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) ((GATE_OPTION_NAMES as readonly string[]).includes(name) ? gate : wechat)[name] = value;
  return { wechat, gate };
}

/** Checks the top level of `createWeChat()`'s options. */
export function checkWeChatOptionNames(options: unknown): void {
  if (options === null || typeof options !== 'object') {
    throw new WeChatOptionsError('options', 'expected an object with at least appId and appSecret');
  }
  rejectUnknownOptions(options, WECHAT_OPTION_NAMES);
}

function pickGateOptions(options: GateOptions, statusTtl: number): ResolvedGateOptions {
  const { enforce = false, scope = 'snsapi_base', onUnknown = 'deny', onNotSubscribed } = options;
  if (typeof enforce !== 'boolean') throw new WeChatOptionsError('enforce', `expected true or false, got ${describeValue(enforce)}`);
  if (scope !== 'snsapi_base' && scope !== 'snsapi_userinfo') {
    throw new WeChatOptionsError('scope', `expected 'snsapi_base' or 'snsapi_userinfo', got ${describeValue(scope)}`);
  }
  if (onUnknown !== 'deny' && onUnknown !== 'allow') {
    throw new WeChatOptionsError('onUnknown', `expected 'deny' or 'allow', got ${describeValue(onUnknown)}`);
  }
  if (onNotSubscribed !== undefined && typeof onNotSubscribed !== 'function') {
    throw new WeChatOptionsError('onNotSubscribed', 'expected a function (ctx) that answers the request');
  }
  if (typeof options.statusMaxAge === 'number' && options.statusMaxAge > statusTtl) {
    throw new WeChatOptionsError(
      'statusMaxAge',
      `expected at most ${statusTtl}, the statusTtl of the services: answers are not kept longer than that`,
    );
  }
  return Object.freeze({
    enforce,
    scope,
    statusMaxAge: options.statusMaxAge === undefined ? undefined : requireSeconds('statusMaxAge', options.statusMaxAge, 0, 0, statusTtl),
    // Shorter than a sign-in takes, and the visitor would be sent round again as soon as they are back.
    signInMaxAge: options.signInMaxAge === undefined ? undefined : requireSeconds('signInMaxAge', options.signInMaxAge, 0, 60, YEAR),
    onUnknown,
    onNotSubscribed,
  });
}

function rejectRenamed(options: object, names: readonly string[]): void {
  for (const old of names) {
    const name = RENAMED_GATE_OPTIONS[old]!;
    if (old in options) throw new WeChatOptionsError(old, `is now ${name} on a route (statusTtl alone is how long the services keep an answer)`);
  }
}

/** `https://example.com` (a trailing slash is dropped); no path, query or fragment, since paths are added to it. */
function requireOrigin(value: unknown): string {
  const url = requireHttpUrl('publicUrl', value, 'https://example.com');
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new WeChatOptionsError('publicUrl', 'expected an origin only, such as "https://example.com" (no path, query or fragment)');
  }
  return url.origin;
}

function isKeyvLike(store: unknown): store is Keyv {
  if (store === null || typeof store !== 'object') return false;
  const keyv = store as Record<string, unknown>;
  // A Keyv instance wraps an adapter in `.store`; a bare adapter (new KeyvRedis()) would store objects unserialized.
  return ['get', 'set', 'delete'].every((method) => typeof keyv[method] === 'function') && 'store' in keyv;
}
