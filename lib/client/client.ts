/**
 * A typed call per WeChat endpoint this library uses. No caching and no token management here: the caller
 * passes the token (the token service of the `createWeChat` factory does that). Nothing here knows Koa.
 */
import { WeChatArgumentError, type WeChatUnavailableError } from '../errors.js';
import { OPENID_PATTERN } from '../wechat/shapes.js';
import { buildAuthorizeUrl, type AuthorizeUrlParams } from './authorize-url.js';
import { HttpTransport, type JsonObject, type Validate } from './http.js';
import { resolveClientOptions, type ResolvedClientOptions, type WeChatClientOptions } from './options.js';
import type { AccessTokenResponse, OAuthTokenResponse, SnsUserInfo, UserInfo, UserInfoLang } from './types.js';

/** WeChat takes at most 100 openids in one batchget call. */
export const BATCH_LIMIT = 100;

/** A call made with the global access token, about one user. */
export interface UserInfoParams {
  /** The global access token (from `/cgi-bin/token` or `/cgi-bin/stable_token`). */
  accessToken: string;
  openid: string;
  /** Default `zh_CN`. */
  lang?: UserInfoLang;
}

export interface UserInfoBatchParams {
  accessToken: string;
  /** Any number: they go out 100 a call, and the answers come back in this order. */
  openids: readonly string[];
  lang?: UserInfoLang;
}

export interface SnsUserInfoParams {
  /** The visitor's OAuth access token from {@link WeChatClient.exchangeCode}, of scope `snsapi_userinfo`. */
  accessToken: string;
  openid: string;
  lang?: UserInfoLang;
}

/** WeChat's HTTP API for one Official Account. Create one per app and share it; call `close()` at shutdown. */
export class WeChatClient {
  /** The validated options, frozen, without the secret. */
  readonly options: ResolvedClientOptions;
  readonly #appSecret: string;
  readonly #http: HttpTransport;

  /** @throws {WeChatOptionsError} when an option is missing or wrong; the message names it. */
  constructor(options: WeChatClientOptions) {
    const { resolved, appSecret } = resolveClientOptions(options);
    this.options = resolved;
    this.#appSecret = appSecret;
    this.#http = new HttpTransport(resolved, appSecret);
  }

  get appId(): string {
    return this.options.appId;
  }

  /**
   * `GET /cgi-bin/token`, the classic token of the original recipe. Each call mints a new token and retires the
   * previous one after 5 minutes, and the day allows 2,000 calls: cache it, and let one place fetch it.
   */
  async fetchClassicToken(): Promise<AccessTokenResponse> {
    return this.#http.request(
      {
        method: 'GET',
        path: '/cgi-bin/token',
        query: [
          ['grant_type', 'client_credential'],
          ['appid', this.appId],
          ['secret', this.#appSecret],
        ],
        // A repeat only mints another token; the one a lost answer carried stays valid for 5 minutes.
        idempotent: true,
        secrets: [],
      },
      expectAccessToken,
    );
  }

  /**
   * `POST /cgi-bin/stable_token`: while the token is valid every caller gets the same one, so several systems
   * can share an app without knocking each other out. `forceRefresh` rotates it (20 a day, 30 s apart).
   */
  async fetchStableToken(options: { forceRefresh?: boolean } = {}): Promise<AccessTokenResponse> {
    return this.#http.request(
      {
        method: 'POST',
        path: '/cgi-bin/stable_token',
        query: [],
        body: {
          grant_type: 'client_credential',
          appid: this.appId,
          secret: this.#appSecret,
          force_refresh: options.forceRefresh === true,
        },
        idempotent: true,
        secrets: [],
      },
      expectAccessToken,
    );
  }

  /** The URL that sends a visitor through WeChat's web authorization. No request is made. */
  authorizeUrl(params: AuthorizeUrlParams): string {
    return buildAuthorizeUrl(this.options.oauthBaseUrl, this.appId, params);
  }

  /**
   * `GET /sns/oauth2/access_token`: trades the callback's `code` for the visitor's openid. Never retried: a code
   * works once, so a second try could only fail with 40163 and hide the first error.
   */
  async exchangeCode(code: string): Promise<OAuthTokenResponse> {
    requireSecretArgument('code', code);
    return this.#http.request(
      {
        method: 'GET',
        path: '/sns/oauth2/access_token',
        query: [
          ['appid', this.appId],
          ['secret', this.#appSecret],
          ['code', code],
          ['grant_type', 'authorization_code'],
        ],
        idempotent: false,
        secrets: [code],
      },
      (body, invalid) => {
        const fields = { access_token: 'string', expires_in: 'number', refresh_token: 'string', openid: 'string', scope: 'string' } as const;
        expectFields(body, invalid, fields);
        return body as unknown as OAuthTokenResponse;
      },
    );
  }

  /** `GET /sns/userinfo`: nickname and avatar, with a `snsapi_userinfo` OAuth token (48001 otherwise). */
  async fetchSnsUserInfo({ accessToken, openid, lang = 'zh_CN' }: SnsUserInfoParams): Promise<SnsUserInfo> {
    return this.#getAboutUser('/sns/userinfo', accessToken, openid, lang, (body, invalid) => {
      expectFields(body, invalid, { openid: 'string', nickname: 'string' });
      return body as unknown as SnsUserInfo;
    });
  }

  /** `GET /cgi-bin/user/info` with the global token: `subscribe` says whether the user follows the account. */
  async fetchUserInfo({ accessToken, openid, lang = 'zh_CN' }: UserInfoParams): Promise<UserInfo> {
    return this.#getAboutUser('/cgi-bin/user/info', accessToken, openid, lang, expectUserInfo);
  }

  /**
   * `POST /cgi-bin/user/info/batchget`: many users at once, 100 a call (longer lists are split). The answers
   * come back in the order of `openids`; an empty list makes no call.
   */
  async fetchUserInfoBatch({ accessToken, openids, lang = 'zh_CN' }: UserInfoBatchParams): Promise<UserInfo[]> {
    requireSecretArgument('accessToken', accessToken);
    requireOpenidList('openids', openids);
    const chunks: string[][] = [];
    for (let start = 0; start < openids.length; start += BATCH_LIMIT) {
      chunks.push(openids.slice(start, start + BATCH_LIMIT));
    }
    const answers = await Promise.all(chunks.map((chunk) => this.#fetchBatch(accessToken, chunk, lang)));
    return answers.flat();
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.#http.close();
  }

  /** `GET path?access_token&openid&lang`, the shape both user-info endpoints share. */
  async #getAboutUser<T>(path: string, accessToken: string, openid: string, lang: UserInfoLang, validate: Validate<T>): Promise<T> {
    requireSecretArgument('accessToken', accessToken);
    requireOpenid('openid', openid);
    return this.#http.request(
      {
        method: 'GET',
        path,
        query: [
          ['access_token', accessToken],
          ['openid', openid],
          ['lang', lang],
        ],
        idempotent: true,
        secrets: [accessToken],
      },
      validate,
    );
  }

  async #fetchBatch(accessToken: string, openids: string[], lang: UserInfoLang): Promise<UserInfo[]> {
    return this.#http.request(
      {
        method: 'POST',
        path: '/cgi-bin/user/info/batchget',
        query: [['access_token', accessToken]],
        body: { user_list: openids.map((openid) => ({ openid, lang })) },
        // Reading users changes nothing, so a repeat is safe although it is a POST.
        idempotent: true,
        secrets: [accessToken],
      },
      (body, invalid) => {
        if (!Array.isArray(body.user_info_list)) throw invalid('answered without a "user_info_list" array');
        // Match answers to questions by openid rather than trusting the order.
        const byOpenid = new Map<string, UserInfo>();
        for (const item of body.user_info_list as unknown[]) {
          const info = expectUserInfo(item, invalid);
          byOpenid.set(info.openid, info);
        }
        return openids.map((openid) => {
          const info = byOpenid.get(openid);
          if (info === undefined) throw invalid(`answered without an entry for openid ${openid}`);
          return info;
        });
      },
    );
  }
}

function requireOpenid(name: string, openid: unknown): void {
  if (typeof openid !== 'string' || !OPENID_PATTERN.test(openid)) {
    // A short wrong value is shown to help; a long one is not, since it may be a token in the wrong field.
    const shown = typeof openid !== 'string' ? typeof openid : openid.length <= 40 ? JSON.stringify(openid) : `${openid.length} characters`;
    throw new WeChatArgumentError(name, `expected an openid (letters, digits, _ and -, at most 128), got ${shown}`);
  }
}

function requireOpenidList(name: string, openids: unknown): void {
  if (!Array.isArray(openids)) throw new WeChatArgumentError(name, 'expected an array of openids');
  openids.forEach((openid, index) => requireOpenid(`${name}[${index}]`, openid));
}

/** Tokens and codes: checked for shape, never echoed. */
function requireSecretArgument(name: string, value: unknown): void {
  if (typeof value !== 'string' || value === '' || value.length > 1024 || /[\s\p{Cc}]/u.test(value)) {
    throw new WeChatArgumentError(name, 'expected a non-empty string without white space');
  }
}

type Invalid = (detail: string) => WeChatUnavailableError;

function expectFields(body: JsonObject, invalid: Invalid, fields: Record<string, 'string' | 'number'>): void {
  for (const [field, type] of Object.entries(fields)) {
    if (typeof body[field] !== type) throw invalid(`answered without a ${type} "${field}"`);
  }
}

function expectAccessToken(body: JsonObject, invalid: Invalid): AccessTokenResponse {
  expectFields(body, invalid, { access_token: 'string', expires_in: 'number' });
  if (body.access_token === '' || (body.expires_in as number) <= 0) {
    throw invalid('answered with an empty token or a lifetime that is not positive');
  }
  return body as unknown as AccessTokenResponse;
}

function expectUserInfo(body: unknown, invalid: Invalid): UserInfo {
  if (body === null || typeof body !== 'object') throw invalid('answered with a user that is not an object');
  const user = body as JsonObject;
  expectFields(user, invalid, { openid: 'string' });
  if (user.subscribe !== 0 && user.subscribe !== 1) throw invalid('answered with a "subscribe" that is neither 0 nor 1');
  return user as unknown as UserInfo;
}
