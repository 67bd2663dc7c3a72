/**
 * The emulator's options: validated, defaulted and frozen once, in the factory. Durations are in seconds, like
 * every duration option of this library. A wrong value throws a TypeError that names the option.
 */
import { PushCipher } from '../push/index.js';
import { APP_ID_PATTERN, OPENID_PATTERN } from '../wechat/shapes.js';

/** A test user to create at start. */
export interface SeedUser {
  /** The name shown on the phone page, and the key of `emulator_user=`. Unique. */
  nickname: string;
  /** Follows the account? Default false. */
  subscribed?: boolean;
  /** A fixed openid (28 characters of `[A-Za-z0-9_-]`); otherwise one is made. */
  openid?: string;
  /** The account's note about the user (`remark`). Default `''`. */
  remark?: string;
  /** Tag ids (`tagid_list`). Default `[]`. */
  tagIds?: number[];
  /** How they followed (`subscribe_scene`). Default `ADD_SCENE_QR_CODE`. */
  subscribeScene?: string;
}

/** Where follow and unfollow events go, as the MP console's "服务器配置" sets it. */
export interface PushOptions {
  /** The site's push endpoint, such as `http://127.0.0.1:3000/wechat/events`. */
  url: string;
  /** The Token of the server configuration: 3 to 32 letters and digits. */
  token: string;
  /** `plaintext` (明文), `compatible` (兼容: both) or `safe` (安全: AES only). Default `plaintext`, or `safe` with a key. */
  mode?: PushMode;
  /** The 43-character EncodingAESKey; required for `compatible` and `safe`. */
  encodingAESKey?: string;
  /** Seconds WeChat waits for an answer before it cuts the connection and tries again. Default 5. */
  timeout?: number;
  /** Tries in all, the first included. Default 3, as WeChat does. */
  attempts?: number;
}

export type PushMode = 'plaintext' | 'compatible' | 'safe';

/** Daily quotas per endpoint; past one, the endpoint answers 45009 until the emulator's next day (UTC+8). */
export interface DailyQuotas {
  /** `/cgi-bin/token`. Default 2000. */
  token?: number;
  /** `/cgi-bin/stable_token`. Default 500000. */
  stableToken?: number;
  /** `force_refresh: true` calls of `/cgi-bin/stable_token`. Default 20. */
  forceRefresh?: number;
  /** `/cgi-bin/user/info` and `/cgi-bin/user/info/batchget` together. Default 5000000. */
  userInfo?: number;
  /** `/cgi-bin/user/get`. Default 500. */
  userGet?: number;
}

export interface EmulatorOptions {
  /** The emulated account's AppID. Default {@link DEFAULT_EMULATOR_APP_ID}. */
  appId?: string;
  /** Its AppSecret. Default {@link DEFAULT_EMULATOR_APP_SECRET}. */
  appSecret?: string;
  /** The account's name, shown on the phone and console pages. Default `Emulated Account`. */
  accountName?: string;
  /** The account's original id (`gh_…`), the `ToUserName` of pushes. Default derived from the AppID. */
  accountId?: string;
  /** Test users to create at start. Default: `Band`, who follows, and `Visitor`, who does not. */
  users?: SeedUser[];
  /** Makes openids (and unionids) a function of the seed, the AppID and the nickname, for repeatable tests. */
  seed?: string;
  /** Whether the account is bound to an Open Platform account, so that answers carry `unionid`. Default false. */
  unionid?: boolean;
  /** Seconds a global token lives. Default 7200. */
  tokenLifetime?: number;
  /** Seconds a replaced token keeps working, and the stable token's rotation window. Default 300. */
  tokenOverlap?: number;
  /** Seconds an OAuth code lives. Default 300. */
  codeLifetime?: number;
  /** Hosts that `redirect_uri` may point to (the MP console's 网页授权域名): `host` or `host:port`. Default `localhost`, `127.0.0.1`. */
  oauthDomains?: string[];
  /** Call the callback twice with the same code, as WeChat sometimes does. Default false. */
  doubleRedirect?: boolean;
  /** What refusing the consent sheet does: `stay` (no redirect, as in practice) or `redirect` (back with `state` and no `code`, as old docs say). Default `stay`. */
  onRefuse?: 'stay' | 'redirect';
  /** Openids per page of `/cgi-bin/user/get`. Default 10000, as WeChat. */
  followersPageSize?: number;
  dailyQuota?: DailyQuotas;
  /** Seconds every API call waits before it is answered, as a real WeChat server's ~0.1 s. Default 0. */
  latency?: number;
  /** Follow and unfollow pushes; none are sent without it. */
  push?: PushOptions;
}

export const DEFAULT_EMULATOR_APP_ID = 'wx0123456789abcdef';
export const DEFAULT_EMULATOR_APP_SECRET = 'e1a7e0c0ffee5ecre7000000000e1a7e';

export interface ResolvedPush {
  readonly url: string;
  readonly token: string;
  readonly mode: PushMode;
  readonly cipher: PushCipher | undefined;
  readonly timeout: number;
  readonly attempts: number;
}

export interface ResolvedEmulatorOptions {
  readonly appId: string;
  readonly appSecret: string;
  readonly accountName: string;
  readonly accountId: string;
  readonly users: readonly SeedUser[];
  readonly seed: string | undefined;
  readonly unionid: boolean;
  readonly tokenLifetime: number;
  readonly tokenOverlap: number;
  readonly codeLifetime: number;
  readonly oauthDomains: readonly string[];
  readonly doubleRedirect: boolean;
  readonly onRefuse: 'stay' | 'redirect';
  readonly followersPageSize: number;
  readonly dailyQuota: Readonly<Required<DailyQuotas>>;
  readonly latency: number;
  readonly push: ResolvedPush | undefined;
}

const DEFAULT_USERS: SeedUser[] = [
  { nickname: 'Band', subscribed: true, remark: 'from the original recipe', tagIds: [2] },
  { nickname: 'Visitor', subscribed: false },
];

const DEFAULT_QUOTAS: Required<DailyQuotas> = {
  token: 2000,
  stableToken: 500_000,
  forceRefresh: 20,
  userInfo: 5_000_000,
  userGet: 500,
};

function fail(option: string, problem: string): never {
  throw new TypeError(`createEmulator: option "${option}" ${problem}`);
}

function seconds(option: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    fail(option, `must be a number of seconds from ${min} to ${max}`);
  }
  return value;
}

function count(option: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(option, `must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/** A user-facing nickname: 1 to 32 characters, no control characters. Also used for `emulator_user=`. */
export function nicknameProblem(nickname: unknown): string | undefined {
  if (typeof nickname !== 'string') return 'must be a string';
  const trimmed = nickname.trim();
  if (trimmed === '' || [...trimmed].length > 32) return 'must be 1 to 32 characters';
  if (/\p{Cc}/u.test(trimmed)) return 'must not contain control characters';
  return undefined;
}

export function resolveEmulatorOptions(options: EmulatorOptions = {}): ResolvedEmulatorOptions {
  if (options === null || typeof options !== 'object') fail('options', 'must be an object');
  const appId = options.appId ?? DEFAULT_EMULATOR_APP_ID;
  if (typeof appId !== 'string' || !APP_ID_PATTERN.test(appId)) fail('appId', 'must be wx and 16 hex digits');
  const appSecret = options.appSecret ?? DEFAULT_EMULATOR_APP_SECRET;
  if (typeof appSecret !== 'string' || appSecret === '' || /\s/.test(appSecret)) {
    fail('appSecret', 'must be a non-empty string without white space');
  }
  const tokenLifetime = seconds('tokenLifetime', options.tokenLifetime, 7200, 1, 86_400 * 30);
  const tokenOverlap = seconds('tokenOverlap', options.tokenOverlap, Math.min(300, tokenLifetime / 2), 0, tokenLifetime);
  if (tokenOverlap >= tokenLifetime) fail('tokenOverlap', `must be shorter than tokenLifetime (${tokenLifetime})`);
  const users = options.users ?? DEFAULT_USERS;
  if (!Array.isArray(users)) fail('users', 'must be an array');
  const nicknames = new Set<string>();
  users.forEach((user, index) => {
    const problem = nicknameProblem(user?.nickname);
    if (problem !== undefined) fail(`users[${index}].nickname`, problem);
    if (nicknames.has(user.nickname.trim())) fail(`users[${index}].nickname`, 'is used twice');
    nicknames.add(user.nickname.trim());
    if (user.openid !== undefined && !OPENID_PATTERN.test(user.openid)) fail(`users[${index}].openid`, 'must be letters, digits, _ and -');
  });
  const oauthDomains = options.oauthDomains ?? ['localhost', '127.0.0.1'];
  if (!Array.isArray(oauthDomains) || oauthDomains.some(badDomain)) {
    fail('oauthDomains', 'must be an array of host names, such as ["localhost", "www.example.com:8080"]');
  }
  const accountId = options.accountId ?? `gh_${appId.slice(2, 14)}`;
  if (typeof accountId !== 'string' || !/^gh_[0-9a-z]{1,32}$/.test(accountId)) fail('accountId', 'must be gh_ and letters or digits');
  const onRefuse = options.onRefuse ?? 'stay';
  if (onRefuse !== 'stay' && onRefuse !== 'redirect') fail('onRefuse', 'must be "stay" or "redirect"');
  const quota = options.dailyQuota ?? {};
  const dailyQuota = Object.freeze(
    Object.fromEntries(
      Object.entries(DEFAULT_QUOTAS).map(([name, fallback]) => [
        name,
        count(`dailyQuota.${name}`, quota[name as keyof DailyQuotas], fallback, 0, 1e9),
      ]),
    ) as Required<DailyQuotas>,
  );
  return Object.freeze({
    appId,
    appSecret,
    accountName: typeof options.accountName === 'string' && options.accountName.trim() !== '' ? options.accountName.trim() : 'Emulated Account',
    accountId,
    users: Object.freeze(users.map((user) => Object.freeze({ ...user, nickname: user.nickname.trim() }))),
    seed: options.seed,
    unionid: options.unionid === true,
    tokenLifetime,
    tokenOverlap,
    codeLifetime: seconds('codeLifetime', options.codeLifetime, 300, 1, 86_400),
    oauthDomains: Object.freeze(oauthDomains.map((domain) => domain.toLowerCase())),
    doubleRedirect: options.doubleRedirect === true,
    onRefuse,
    followersPageSize: count('followersPageSize', options.followersPageSize, 10_000, 1, 10_000),
    dailyQuota,
    latency: seconds('latency', options.latency, 0, 0, 10),
    push: options.push === undefined ? undefined : resolvePush(options.push, appId),
  });
}

/** A host, or host:port with a port from 1 to 65535. */
function badDomain(domain: unknown): boolean {
  const match = typeof domain === 'string' ? /^[a-z0-9.-]+(?::(\d{1,5}))?$/i.exec(domain) : null;
  return match === null || (match[1] !== undefined && (Number(match[1]) < 1 || Number(match[1]) > 65_535));
}

/** The server configuration, checked; also for `Emulator.configurePush` while it runs. */
export function resolvePush(push: PushOptions, appId: string): ResolvedPush {
  if (push === null || typeof push !== 'object') fail('push', 'must be an object such as { url, token }');
  let url: URL;
  try {
    url = new URL(push.url);
  } catch {
    fail('push.url', 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail('push.url', 'must be an http(s) URL');
  if (typeof push.token !== 'string' || !/^[A-Za-z0-9]{3,32}$/.test(push.token)) {
    fail('push.token', 'must be 3 to 32 letters and digits, as the MP console requires');
  }
  const mode = push.mode ?? (push.encodingAESKey === undefined ? 'plaintext' : 'safe');
  if (!['plaintext', 'compatible', 'safe'].includes(mode)) fail('push.mode', 'must be "plaintext", "compatible" or "safe"');
  let cipher: PushCipher | undefined;
  if (push.encodingAESKey !== undefined) {
    try {
      cipher = new PushCipher(push.encodingAESKey, appId);
    } catch {
      // The key itself is never echoed.
      fail('push.encodingAESKey', 'must be 43 characters of base64, as the MP console makes it');
    }
  }
  if (mode !== 'plaintext' && cipher === undefined) fail('push.encodingAESKey', `is required in ${mode} mode`);
  return Object.freeze({
    url: url.href,
    token: push.token,
    mode,
    cipher,
    timeout: seconds('push.timeout', push.timeout, 5, 0.01, 60),
    attempts: count('push.attempts', push.attempts, 3, 1, 10),
  });
}
