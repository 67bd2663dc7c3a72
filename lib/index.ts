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
