/**
 * WeChat's errcodes that deserve a clear message, from `shared/wechat-api.md`.
 * Each entry says what went wrong and what to do, in English and Chinese, and which family it belongs to:
 * the family decides the HTTP status we report and whether a retry can help.
 */

/** What kind of trouble an errcode means; it decides status and retry. */
export type ErrorCategory =
  /** WeChat is busy or rate-limiting: try again later. */
  | 'busy'
  /** A daily quota is spent: nothing helps until tomorrow. */
  | 'quota'
  /** The access token was refused: fetch a new one and retry once. */
  | 'token'
  /** Our configuration is wrong (appid, secret, IP whitelist, permissions): a person must fix it. */
  | 'config'
  /** The visitor's OAuth code (or refresh token) is bad, used or expired. */
  | 'code'
  /** The openid is not one of this account's users, or is malformed. */
  | 'openid'
  /** The WeChat user is restricted. */
  | 'user'
  /** Not in our table. */
  | 'unknown';

/** A bilingual, actionable explanation of an error. */
export interface Hint {
  readonly en: string;
  readonly zh: string;
}

interface ErrorCodeEntry extends Hint {
  readonly category: ErrorCategory;
}

const entry = (category: ErrorCategory, en: string, zh: string): ErrorCodeEntry => ({ category, en, zh });

const adminMustConfirmIp = entry(
  'config',
  'calls from this server IP wait for, or were refused by, the account admin: confirm them in the MP console',
  '此 IP 的调用需要公众号管理员确认，或已被拒绝：请在公众平台确认',
);

const table: ReadonlyMap<number, ErrorCodeEntry> = new Map([
  [-1, entry('busy', 'WeChat is busy: retry later', '系统繁忙，请稍后再试')],
  [
    40001,
    entry(
      'token',
      'access_token is invalid or not the latest: did another server refresh it? Share one token source',
      'access_token 无效或不是最新的：是否有其他服务器刷新了它？请共用一个 token 来源',
    ),
  ],
  [40002, entry('config', 'invalid grant_type', '不合法的凭证类型')],
  [40003, entry('openid', 'invalid openid: it does not belong to this appid, or is malformed', '不合法的 OpenID：不属于此公众号或格式错误')],
  [40013, entry('config', 'invalid appid: check the AppID in the MP console', '不合法的 AppID：请核对公众平台中的 AppID')],
  [40014, entry('token', 'invalid access_token', '不合法的 access_token')],
  [40029, entry('code', 'invalid or expired OAuth code: send the visitor through authorization again', '无效或过期的 oauth_code：请重新授权')],
  [40030, entry('code', 'invalid refresh_token', '不合法的 refresh_token')],
  [40032, entry('config', 'invalid openid list size (empty, or more than 100)', '不合法的 openid 列表长度')],
  [40125, entry('config', 'invalid appsecret: copy the AppSecret again from the MP console', '无效的 appsecret：请从公众平台重新获取 AppSecret')],
  [40163, entry('code', 'OAuth code already used: each code works once', 'oauth_code 已使用：每个 code 只能用一次')],
  [
    40164,
    entry('config', "this server's IP is not on the API whitelist: add it in the MP console", '调用接口的 IP 地址不在白名单中：请在公众平台添加'),
  ],
  [40243, entry('config', 'the AppSecret is frozen: unfreeze or reset it in the MP console', 'AppSecret 已被冻结：请在公众平台解冻或重置')],
  [41001, entry('config', 'access_token missing', '缺少 access_token 参数')],
  [41002, entry('config', 'appid missing', '缺少 appid 参数')],
  [41004, entry('config', 'secret missing', '缺少 secret 参数')],
  [41008, entry('code', 'OAuth code missing', '缺少 oauth code')],
  [42001, entry('token', 'access_token expired', 'access_token 超时')],
  [42002, entry('code', 'refresh_token expired', 'refresh_token 超时')],
  [42007, entry('code', 'the user revoked the authorization: authorize again', '用户修改微信密码，授权已失效，请重新授权')],
  [43002, entry('config', 'this endpoint requires POST', '需要 POST 请求')],
  [
    45009,
    entry(
      'quota',
      "the API's daily quota is spent: wait until tomorrow or reset it in the MP console",
      '接口调用超过天级别限制：请明天再试或在公众平台清零',
    ),
  ],
  [45011, entry('busy', 'calls are too frequent: slow down', '接口调用太频繁，请稍后再试')],
  [45019, entry('busy', 'too many calls at once', '调用次数过多')],
  [
    48001,
    entry(
      'config',
      'API not authorized for this account or token (an unverified account, or a snsapi_base token asking for user info)',
      'api 功能未授权：公众号未认证，或使用了 snsapi_base 的 token',
    ),
  ],
  [50002, entry('user', 'the WeChat user is restricted (frozen or deleted)', '用户受限（冻结或注销）')],
  [50004, entry('config', 'the account is restricted by WeChat', '公众号被处罚，接口受限')],
  [50007, entry('config', 'the account is frozen', '公众号已冻结')],
  [89501, adminMustConfirmIp],
  [89503, adminMustConfirmIp],
  [89506, adminMustConfirmIp],
  [89507, adminMustConfirmIp],
]);

const unknownEntry = entry(
  'unknown',
  "an error that this library does not know: look the errcode up in WeChat's global return codes",
  '未知错误：请查阅微信全局返回码说明',
);

/**
 * WeChat's global return codes describe 40001 as "AppSecret wrong when fetching the token, or access_token
 * invalid". A call that sends no access token can only mean the first: a configuration error, which no token
 * refresh can cure.
 */
const secretRefused = entry(
  'config',
  'credential refused while fetching a token: check the AppSecret (and the AppID) in the MP console',
  '获取凭证时校验失败：请核对公众平台中的 AppSecret（及 AppID）',
);

/** Endpoints that authenticate with the AppSecret rather than an access token. */
const SECRET_ENDPOINTS: ReadonlySet<string> = new Set(['/cgi-bin/token', '/cgi-bin/stable_token', '/sns/oauth2/access_token']);

/** The family and the bilingual hint of a WeChat errcode, as answered by the endpoint at `path`. */
export function describeErrcode(errcode: number, path: string): ErrorCodeEntry {
  if (errcode === 40001 && SECRET_ENDPOINTS.has(path)) return secretRefused;
  return table.get(errcode) ?? unknownEntry;
}
