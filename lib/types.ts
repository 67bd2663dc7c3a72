/**
 * The public types, in one file: the options of `createWeChat()`, `requireSubscription()` and its routes, and
 * what the middleware puts on `ctx.state` (typed by augmenting Koa's `DefaultState`).
 */
import type { Context } from 'koa';
import type { Keyv } from 'keyv';
import type { WeChatClientOptions } from './client/options.js';
import type { OAuthScope, SnsUserInfo, UserInfo } from './client/types.js';
import type { PushMode, PushReply, WeChatPush } from './push/index.js';
import type { TokenSource } from './tokens/fetched-tokens.js';
import type { TokenLock } from './tokens/lock.js';
import type { TokenProvider } from './tokens/provided-tokens.js';
import type { Logger } from './util/logger.js';

export type { WeChatIdentity } from './sign-in/record.js';
export type { VisitorProfile } from './store/profiles.js';
export type { SubscriptionStatus, StatusOptions } from './subscriptions/subscriptions.js';
export type { TokenSource, TokenLock, TokenProvider, Logger };
export type { ReleaseLock } from './tokens/lock.js';
export type { WeChatClientOptions, RetryOptions } from './client/options.js';
export type { AuthorizeUrlParams } from './client/authorize-url.js';
export type { UserInfoParams, UserInfoBatchParams, SnsUserInfoParams } from './client/client.js';
export type { ErrorCategory, Hint, UnavailableReason } from './errors.js';
export type { PushMode, PushReply, WeChatPush } from './push/index.js';
export type {
  AccessTokenResponse,
  OAuthScope,
  OAuthTokenResponse,
  SnsUserInfo,
  SubscribedUserInfo,
  UnsubscribedUserInfo,
  UserInfo,
  UserInfoLang,
} from './client/types.js';

/**
 * The services of one Official Account: the client's options, where tokens come from and how answers are cached.
 * One set per AppID per process: every `createWeChat()` and `requireSubscription()` of an AppID shares it, so
 * they must agree on these.
 */
export interface ServiceOptions extends WeChatClientOptions {
  /**
   * Where the global access token comes from. Default `'stable'`: `POST /cgi-bin/stable_token`, which hands
   * every caller the same token, so it does not fight other systems using the app. `'classic'` is the recipe's
   * `/cgi-bin/token`: each fetch retires the token others hold.
   */
  tokenSource?: TokenSource;
  /** Read-only mode: a central service owns the token and this resolves with it. No token is ever fetched here. */
  tokenProvider?: TokenProvider;
  /**
   * A Keyv instance for tokens and statuses, such as `new Keyv(new KeyvRedis(url))`; share it between processes.
   * Default: an in-memory LRU of `cacheMaxEntries` entries, for one process.
   */
  store?: Keyv;
  /**
   * The lock around token fetches, shared by the processes that share `store`. Default: with a `@keyv/redis`
   * store, a Redis lock on that store's client; otherwise a lock for this process.
   */
  lock?: TokenLock;
  /**
   * Seconds a store call (read, write, the lock) may take. Past it a read is a miss, a write is dropped and the
   * lock falls back to this process's single flight; one warning says so. Default 0.25.
   */
  storeTimeout?: number;
  /** Seconds a "following" answer is kept before WeChat is asked again. Default 300. */
  statusTtl?: number;
  /** Seconds a "not following" answer is kept: short, so that a visitor who just followed is let in. Default 15. */
  unsubscribedTtl?: number;
  /** Seconds a lookup waits for others to share one batchget call. Default 0.002; 0 means the current tick. */
  batchWindow?: number;
  /** The bound of the in-memory default store, in entries. Default 10,000. Ignored when `store` is given. */
  cacheMaxEntries?: number;
  /** Receives warnings about trouble the library recovered from. Default: `NODE_DEBUG=koa-wechat-subscription`. */
  logger?: Logger;
}

/** How the site is seen from outside and what its pages show. Each `createWeChat()` or drop-in has its own. */
export interface SiteOptions {
  /**
   * A dedicated OAuth callback path, as the browser sees it (with any mount prefix), for sites whose setup
   * needs one; `routes()` or a drop-in mounted with `app.use` serves it. Default: none: WeChat returns the
   * visitor to the gated URL itself, which the gate completes, so it works however it is mounted.
   */
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
  /**
   * WeChat's message push (服务器配置), served at `push.path` by `routes()` and by every gate mounted with
   * `app.use`: follows and unfollows are recorded the moment they happen. Default: none.
   */
  push?: PushOptions;
  /**
   * Renders the pages the library answers itself (400, 401, 403, 502, 503, open in WeChat) with the site's own
   * templates, such as `(ctx, page) => ctx.render('wechat-page', page)`. It sets `ctx.body`; the status and
   * `Cache-Control: no-store` stay the library's. A page it leaves without a body gets the library's own. API
   * clients still get JSON. Default: the library's pages, in Chinese and English.
   */
  renderPage?: (ctx: Context, page: WeChatPage) => unknown;
}

/** Which page the library answers: one `renderPage` template may serve all, or one each. */
export type WeChatPageKind =
  'stateMismatch' | 'cookiesRequired' | 'signInFailed' | 'signInRequired' | 'notSubscribed' | 'openInWeChat' | 'unavailable';

/** A page the library answers, for `renderPage`. Every text is plain (escape it as any text); none holds a secret. */
export interface WeChatPage {
  readonly kind: WeChatPageKind;
  /** The HTTP status the answer goes out with: 400, 401, 403, 502 or 503. */
  readonly status: number;
  /** The stable code of the JSON twin, such as `wechat_not_subscribed`. */
  readonly error: string;
  readonly title: { readonly en: string; readonly zh: string };
  readonly text: { readonly en: string; readonly zh: string };
  /** The next step, when there is one: "try again", or WeChat's authorize URL on the 401. */
  readonly action: { readonly href: string; readonly label: string } | undefined;
  /** The site's root as the browser sees it (a koa-mount prefix kept), for a way home. */
  readonly home: string;
  /** On the follow page (`notSubscribed`): what to follow. */
  readonly follow: { readonly accountName: string; readonly qrCodeUrl: string | undefined } | undefined;
}

/** The push endpoint: what the MP console's server configuration (服务器配置) says, and what to do with pushes. */
export interface PushOptions {
  /** The console's Token (令牌): 3 to 32 letters and digits. A secret: never logged or shown. */
  token: string;
  /** The console's EncodingAESKey (消息加解密密钥), 43 characters; needed in compatible and safe modes. A secret. */
  encodingAESKey?: string;
  /**
   * The console's message encryption mode (消息加解密方式): `plaintext` (明文), `compatible` (兼容) or `safe` (安全).
   * Default: `safe` with an `encodingAESKey`, `plaintext` without. The request never chooses it.
   */
  mode?: PushMode;
  /** The path of the console's URL, as the browser sees it (with any mount prefix). Default `/wechat/events`. */
  path?: string;
  /** Seconds a push's `timestamp` may be off this server's clock, either way. Default 300. */
  timestampWindow?: number;
  /** Seconds `onEvent` has to give a reply before the push is answered without one (WeChat waits 5). Default 3. */
  replyTimeout?: number;
  /**
   * Sees every new push (follows and unfollows after they are recorded; `SCAN`, other events and messages), never
   * a retry. It may resolve with a passive reply for the user: a text, or a news card with a link. A hook that
   * throws or takes too long never turns the push into an error answer.
   */
  onEvent?: (push: WeChatPush, ctx: Context) => PushReply | undefined | void | Promise<PushReply | undefined | void>;
}

/** The options of `createWeChat()`. */
export interface WeChatOptions extends ServiceOptions, SiteOptions {}

/** What to do when WeChat cannot say whether the visitor follows. */
export type OnUnknown = 'deny' | 'allow';

/** The options of one gated route: `wechat.requireSubscription(options)`. */
export interface GateOptions {
  /** Refuse non-followers with the 403 follow page (or `onNotSubscribed`). Default false: detect and continue. */
  enforce?: boolean;
  /** `snsapi_base` (silent; the openid only) or `snsapi_userinfo` (adds nickname and avatar). Default `snsapi_base`. */
  scope?: OAuthScope;
  /** Seconds old a cached answer may be on this route; at most `statusTtl`, how long answers are kept. Default: any kept answer. */
  statusMaxAge?: number;
  /** Seconds after sign-in when the visitor is sent through WeChat again, silently. Default: as long as the session. */
  signInMaxAge?: number;
  /** `deny` (default): a 502/503 page when WeChat cannot say. `allow`: continue with `ctx.state.isConcern` undefined. */
  onUnknown?: OnUnknown;
  /** Replaces the 403 follow page of `enforce` routes. It answers the request; `next` is not called. */
  onNotSubscribed?: (ctx: Context) => unknown;
}

/** The options of the one-line `requireSubscription()`: the services', the site's and the route's. */
export interface RequireSubscriptionOptions extends WeChatOptions, GateOptions {}

/**
 * `/cgi-bin/user/info`'s answer (`{ openid, subscribe: 0 }` for someone who does not follow), with the
 * nickname and avatar of `/sns/userinfo` added on `snsapi_userinfo` routes.
 */
export type WeChatUser = UserInfo & Partial<Pick<SnsUserInfo, 'nickname' | 'headimgurl' | 'unionid'>>;

declare module 'koa' {
  interface DefaultState {
    /** The visitor's openid for this Official Account. Set on every request that passed `requireSubscription()`. */
    openid?: string;
    /**
     * Whether the visitor follows the account. `undefined` only with `onUnknown: 'allow'` when WeChat could not
     * say. `false` for the virtual user of a snapshot page (see `snapshotUser`), whom WeChat is not asked about.
     */
    isConcern?: boolean;
    /**
     * True for the virtual user of WeChat's snapshot page (`is_snapshotuser: 1`): the visitor has not really
     * signed in, their openid is not theirs, and they are not asked about. Ask them to open the page in full.
     */
    snapshotUser?: boolean;
    /** WeChat's user info (see {@link WeChatUser}); `undefined` only with `onUnknown: 'allow'` when WeChat could not say. */
    wechatUser?: WeChatUser;
  }
}
