// Middleware
export { requireSubscription } from './koa/drop-in.js';
export type { RequireSubscriptionOptions, DropInMiddleware } from './koa/drop-in.js';
export { logout } from './koa/session.js';
export type { WeChatSite } from './koa/site.js';
export type { SiteOptions, GateOptions, OnUnknown, ResolvedSiteOptions } from './koa/options.js';
export type { WeChatUser, VisitorProfile } from './koa/visitor.js';
export type { WeChatIdentity } from './koa/session.js';

// The shared services: one token interface and the subscription lookups
export { createWeChat } from './create-wechat.js';
export type { WeChat } from './create-wechat.js';
export type { WeChatOptions, ResolvedServiceOptions } from './options.js';
export { AccessTokens } from './tokens/access-tokens.js';
export type { TokenSource } from './tokens/fetched-tokens.js';
export type { TokenProvider } from './tokens/provided-tokens.js';
export { MemoryLock } from './tokens/lock.js';
export type { TokenLock, ReleaseLock } from './tokens/lock.js';
export { Subscriptions } from './subscriptions/subscriptions.js';
export type { SubscriptionStatus, StatusOptions } from './subscriptions/subscriptions.js';
export { createMemoryStore, DEFAULT_CACHE_MAX_ENTRIES } from './store/memory-store.js';
export type { Logger } from './util/logger.js';

// The WeChat client
export { WeChatClient, BATCH_LIMIT } from './client/client.js';
export type { UserInfoParams, UserInfoBatchParams, SnsUserInfoParams } from './client/client.js';
export type { WeChatClientOptions, RetryOptions, ResolvedClientOptions } from './client/options.js';
export { DEFAULT_API_BASE_URL, DEFAULT_OAUTH_BASE_URL } from './client/options.js';
export type { AuthorizeUrlParams } from './client/authorize-url.js';

// Errors
export {
  WeChatError,
  WeChatApiError,
  WeChatUnavailableError,
  WeChatOptionsError,
  WeChatArgumentError,
  WeChatStatusUnknownError,
  WeChatTokenProviderError,
  WeChatSetupError,
} from './errors.js';
export type { ErrorCategory, Hint, UnavailableReason } from './errors.js';

// Types of WeChat's answers
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

// Diagnostics
export { DEBUG_NAMESPACE } from './util/debug.js';
export { redact } from './util/redact.js';
