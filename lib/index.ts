// Middleware
export { requireSubscription, createWeChat } from './create-wechat.js';
export type { WeChat, DropInMiddleware } from './create-wechat.js';
export type { WeChatSite } from './koa/site.js';
export { logout } from './koa/session.js';

// The WeChat client, for calls this library does not wrap
export { WeChatClient } from './client/client.js';

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

// Diagnostics
export { redact } from './util/redact.js';

// Types
export type * from './types.js';
export type { ResolvedServiceOptions, ResolvedSiteOptions } from './options.js';
export type { AccessTokens } from './tokens/access-tokens.js';
export type { Subscriptions } from './subscriptions/subscriptions.js';
export type { ResolvedClientOptions } from './client/options.js';
