/**
 * The errors this library throws. Each has a stable machine `code`, Koa's `status` and `expose`, and a message
 * a person can act on. None of them ever holds the app secret, a token or an OAuth code: messages are built
 * from redacted parts, `cause` is a scrubbed copy (never got's error, whose options hold the full URL), and
 * `toJSON()` lists the safe fields only.
 */
import { describeErrcode, type ErrorCategory, type Hint } from './wechat/error-codes.js';

export type { ErrorCategory, Hint } from './wechat/error-codes.js';

/** The base class: catch this to catch every error of this library. */
export class WeChatError extends Error {
  /** A stable machine code, such as `ERR_WECHAT_API`. */
  readonly code: string;
  /** The HTTP status Koa should answer with. */
  readonly status: number;
  /** Whether Koa may show `message` to the visitor (as http-errors does: only below 500). */
  readonly expose: boolean;

  constructor(message: string, code: string, status: number, cause?: Error) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.status = status;
    this.expose = status < 500;
  }

  /** The safe fields only; subclasses add theirs. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, status: this.status, message: this.message };
  }
}
WeChatError.prototype.name = 'WeChatError';

const statusOfCategory: Record<ErrorCategory, number> = {
  busy: 503,
  quota: 503,
  token: 502,
  config: 502,
  code: 400,
  openid: 400,
  user: 403,
  unknown: 502,
};

/** The details of an errcode answer, already redacted by the caller. */
export interface ApiErrorDetails {
  errcode: number;
  errmsg: string;
  /** The endpoint path, such as `/cgi-bin/user/info`; never a query string. */
  path: string;
}

/** WeChat answered with a non-zero `errcode`. */
export class WeChatApiError extends WeChatError {
  readonly errcode: number;
  /** WeChat's message, as sent (secrets scrubbed). Do not match on it: it carries a changing `rid` suffix. */
  readonly errmsg: string;
  /** WeChat's request id, for a support ticket, when the errmsg carried one. */
  readonly rid: string | undefined;
  /** The endpoint path, without its query string. */
  readonly path: string;
  /** The errcode's family: it decides `status` and whether retrying can help. */
  readonly category: ErrorCategory;
  /** What the errcode means and what to do, in English and Chinese. */
  readonly hint: Hint;

  constructor({ errcode, errmsg, path }: ApiErrorDetails) {
    const { category, en, zh } = describeErrcode(errcode, path);
    const rid = parseRid(errmsg);
    super(
      `WeChat API error ${errcode} at ${path}: ${en} / ${zh}` + (rid === undefined ? '' : ` (rid: ${rid})`),
      'ERR_WECHAT_API',
      statusOfCategory[category],
    );
    this.errcode = errcode;
    this.errmsg = errmsg;
    this.rid = rid;
    this.path = path;
    this.category = category;
    this.hint = { en, zh };
  }

  /** Only "system busy" is worth repeating at once; rate limits and quotas are not. */
  get retryable(): boolean {
    return this.errcode === -1;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      errcode: this.errcode,
      errmsg: this.errmsg,
      rid: this.rid,
      path: this.path,
      category: this.category,
      hint: this.hint,
    };
  }
}
WeChatApiError.prototype.name = 'WeChatApiError';

/** Why WeChat could not be reached or understood. */
export type UnavailableReason =
  /** No answer within the timeout. */
  | 'timeout'
  /** The connection failed: refused, reset, DNS. */
  | 'network'
  /** An answer with a non-2xx HTTP status. */
  | 'http_status'
  /** A 2xx answer whose body is not the JSON we expect. */
  | 'invalid_response';

export interface UnavailableDetails {
  reason: UnavailableReason;
  /** `GET /cgi-bin/token`: the method and path, never a query string. */
  endpoint: string;
  /** What happened, already redacted. */
  detail: string;
  httpStatus?: number;
  /** A scrubbed copy of the low-level error. */
  cause?: Error;
}

/** WeChat could not be reached, or answered with something that is not WeChat's JSON. */
export class WeChatUnavailableError extends WeChatError {
  readonly reason: UnavailableReason;
  readonly endpoint: string;
  /** The HTTP status of the answer, for `reason: 'http_status'`. */
  readonly httpStatus: number | undefined;

  constructor({ reason, endpoint, detail, httpStatus, cause }: UnavailableDetails) {
    // No answer at all is "unavailable" (503); a wrong answer is a "bad gateway" (502).
    const status = reason === 'timeout' || reason === 'network' ? 503 : 502;
    super(`WeChat could not be reached: ${endpoint} ${detail}`, 'ERR_WECHAT_UNAVAILABLE', status, cause);
    this.reason = reason;
    this.endpoint = endpoint;
    this.httpStatus = httpStatus;
  }

  /** Network trouble and 5xx answers can pass; a 4xx or a malformed body will not change on a retry. */
  get retryable(): boolean {
    return this.reason === 'timeout' || this.reason === 'network' || (this.httpStatus ?? 0) >= 500;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), reason: this.reason, endpoint: this.endpoint, httpStatus: this.httpStatus };
  }
}
WeChatUnavailableError.prototype.name = 'WeChatUnavailableError';

/** An option given to a factory is missing or wrong. Thrown at construction, never per request. */
export class WeChatOptionsError extends WeChatError {
  /** The name of the option, such as `apiBaseUrl`. */
  readonly option: string;

  constructor(option: string, problem: string) {
    super(`Invalid option "${option}": ${problem}`, 'ERR_WECHAT_OPTIONS', 500);
    this.option = option;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), option: this.option };
  }
}
WeChatOptionsError.prototype.name = 'WeChatOptionsError';

/** An argument of a call is wrong (an empty openid, a state with forbidden characters…). */
export class WeChatArgumentError extends WeChatError {
  readonly argument: string;

  constructor(argument: string, problem: string) {
    super(`Invalid argument "${argument}": ${problem}`, 'ERR_WECHAT_ARGUMENT', 400);
    this.argument = argument;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), argument: this.argument };
  }
}
WeChatArgumentError.prototype.name = 'WeChatArgumentError';

/**
 * Whether a user follows the account could not be told: WeChat could not be asked, or refused to answer.
 * Lookups throw this rather than answer a silent `false`. `cause` is the library's own error, already safe.
 */
export class WeChatStatusUnknownError extends WeChatError {
  readonly openid: string;
  declare readonly cause: WeChatError;

  constructor(openid: string, cause: WeChatError) {
    // A 4xx cause (a bad openid) is still our server's failure to answer the visitor.
    const status = cause.status >= 500 ? cause.status : 502;
    super(`Could not tell whether ${openid} follows the account: ${cause.message}`, 'ERR_WECHAT_STATUS_UNKNOWN', status, cause);
    this.openid = openid;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), openid: this.openid, cause: this.cause.toJSON() };
  }
}
WeChatStatusUnknownError.prototype.name = 'WeChatStatusUnknownError';

/**
 * The `tokenProvider` option failed or gave something that is not a token. Its own error is not kept: it is
 * the application's, and may hold what we promise never to carry. Only its name and code are named.
 */
export class WeChatTokenProviderError extends WeChatError {
  constructor(problem: string) {
    super(`The tokenProvider option ${problem}`, 'ERR_WECHAT_TOKEN_PROVIDER', 503);
  }
}
WeChatTokenProviderError.prototype.name = 'WeChatTokenProviderError';

/**
 * The app is not set up for the middleware: no session, or no `app.keys`. A developer's mistake, thrown on the
 * first request it affects, with the fix in the message.
 */
export class WeChatSetupError extends WeChatError {
  constructor(problem: string) {
    super(problem, 'ERR_WECHAT_SETUP', 500);
  }
}
WeChatSetupError.prototype.name = 'WeChatSetupError';

/** `invalid appsecret rid: 6650f1a2-1b2c3d4e-5f6a7b8c` → `6650f1a2-1b2c3d4e-5f6a7b8c`. */
export function parseRid(errmsg: string): string | undefined {
  return /\brid:\s*([0-9a-f]+(?:-[0-9a-f]+)*)/i.exec(errmsg)?.[1];
}
