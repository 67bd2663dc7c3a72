/**
 * The options of the Koa layer. Site options are set once on `createWeChat` (where the callback lives, how
 * the site is seen from outside, what the follow page shows); gate options are set per `requireSubscription()`.
 */
import type { Context } from 'koa';
import type { OAuthScope } from '../client/types.js';
import { WeChatOptionsError } from '../errors.js';
import { describeValue, requireHttpUrl, requireSeconds } from '../util/option-checks.js';

export interface SiteOptions {
  /** The path of the OAuth callback that `routes()` serves. Default `/wechat/callback`. */
  callbackPath?: string;
  /**
   * The site's public origin as WeChat's OAuth domain knows it, such as `https://example.com`. Default: taken
   * from each request (`ctx.protocol` and `ctx.host`, which trust `X-Forwarded-*` only when `app.proxy` is set).
   */
  publicUrl?: string;
  /** Show an "open this page in WeChat" page to other browsers on gated routes. Default false (the emulator works anywhere). */
  onlyInWeChat?: boolean;
  /** The account's name on the follow page of `enforce` routes. Default `our Official Account`. */
  accountName?: string;
  /** The URL of the account's QR code image on the follow page. Default: none. */
  qrCodeUrl?: string;
}

/** What to do when WeChat cannot say whether the visitor follows. */
export type OnUnknown = 'deny' | 'allow';

export interface GateOptions {
  /** Refuse non-followers with the 403 follow page (or `onNotSubscribed`). Default false: detect and continue. */
  enforce?: boolean;
  /** `snsapi_base` (silent; the openid only) or `snsapi_userinfo` (adds nickname and avatar). Default `snsapi_base`. */
  scope?: OAuthScope;
  /** Seconds a cached answer is trusted on this route; at most the `statusTtl` of `createWeChat`. Default: that one. */
  statusTtl?: number;
  /** Seconds after sign-in when the visitor is sent through WeChat again, silently. Default: as long as the session. */
  maxAge?: number;
  /** `deny` (default): a 502/503 page when WeChat cannot say. `allow`: continue with `ctx.state.isConcern` undefined. */
  onUnknown?: OnUnknown;
  /** Replaces the 403 follow page of `enforce` routes. It answers the request; `next` is not called. */
  onNotSubscribed?: (ctx: Context) => unknown;
}

export interface ResolvedSiteOptions {
  readonly callbackPath: string;
  readonly publicUrl: string | undefined;
  readonly onlyInWeChat: boolean;
  readonly accountName: string;
  readonly qrCodeUrl: string | undefined;
}

export interface ResolvedGateOptions {
  readonly enforce: boolean;
  readonly scope: OAuthScope;
  /** Seconds; undefined keeps the service's own. */
  readonly statusTtl: number | undefined;
  readonly maxAge: number | undefined;
  readonly onUnknown: OnUnknown;
  readonly onNotSubscribed: ((ctx: Context) => unknown) | undefined;
}

export const SITE_OPTION_NAMES = ['callbackPath', 'publicUrl', 'onlyInWeChat', 'accountName', 'qrCodeUrl'] as const;
export const GATE_OPTION_NAMES = ['enforce', 'scope', 'statusTtl', 'maxAge', 'onUnknown', 'onNotSubscribed'] as const;

const YEAR = 366 * 86_400;

export function resolveSiteOptions(options: SiteOptions): ResolvedSiteOptions {
  const { callbackPath = '/wechat/callback', publicUrl, onlyInWeChat = false, accountName = 'our Official Account', qrCodeUrl } = options;
  if (typeof callbackPath !== 'string' || !/^\/[A-Za-z0-9\-._~/]*$/.test(callbackPath) || callbackPath.includes('//')) {
    throw new WeChatOptionsError('callbackPath', `expected a path such as "/wechat/callback", got ${describeValue(callbackPath)}`);
  }
  if (typeof onlyInWeChat !== 'boolean') throw new WeChatOptionsError('onlyInWeChat', `expected true or false, got ${describeValue(onlyInWeChat)}`);
  if (typeof accountName !== 'string' || accountName.trim() === '' || accountName.length > 64) {
    throw new WeChatOptionsError('accountName', 'expected the account name, 1 to 64 characters');
  }
  return Object.freeze({
    callbackPath,
    publicUrl: publicUrl === undefined ? undefined : requireOrigin(publicUrl),
    onlyInWeChat,
    accountName,
    qrCodeUrl: qrCodeUrl === undefined ? undefined : requireHttpUrl('qrCodeUrl', qrCodeUrl, 'https://example.com/qr.jpg').href,
  });
}

/** `serviceStatusTtl` is the `statusTtl` of `createWeChat`: answers are not kept longer, so a route cannot trust them longer. */
export function resolveGateOptions(options: GateOptions, serviceStatusTtl: number): ResolvedGateOptions {
  if (options === null || typeof options !== 'object') throw new WeChatOptionsError('options', 'expected an object');
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
  if (typeof options.statusTtl === 'number' && options.statusTtl > serviceStatusTtl) {
    throw new WeChatOptionsError('statusTtl', `expected at most ${serviceStatusTtl}, the statusTtl of createWeChat: answers are not kept longer than that`);
  }
  const statusTtl = options.statusTtl === undefined ? undefined : requireSeconds('statusTtl', options.statusTtl, 0, 0, serviceStatusTtl);
  return Object.freeze({
    enforce,
    scope,
    statusTtl,
    // Shorter than a sign-in takes, and the visitor would be sent round again as soon as they are back.
    maxAge: options.maxAge === undefined ? undefined : requireSeconds('maxAge', options.maxAge, 0, 60, YEAR),
    onUnknown,
    onNotSubscribed,
  });
}

/** `https://example.com` (a trailing slash is dropped); no path, query or fragment, since the callback path is added to it. */
function requireOrigin(value: unknown): string {
  const url = requireHttpUrl('publicUrl', value, 'https://example.com');
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new WeChatOptionsError('publicUrl', 'expected an origin only, such as "https://example.com" (no path, query or fragment)');
  }
  return url.origin;
}
