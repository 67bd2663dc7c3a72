/**
 * The demo's configuration, read once from the environment. A wrong value throws a {@link ConfigError} whose
 * message is one line that names the variable: the entry prints it and exits with code 1, never a stack.
 */
import { randomBytes } from 'node:crypto';

/** A configuration mistake, said in one line that names the environment variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Where the demo's WeChat is: a real account, or the emulator that the entry starts beside it. */
export type WeChatTarget =
  | { readonly kind: 'real'; readonly appId: string; readonly appSecret: string; readonly apiBaseUrl?: string; readonly oauthBaseUrl?: string }
  | { readonly kind: 'emulator'; readonly port: number };

export interface DemoConfig {
  readonly production: boolean;
  readonly port: number;
  readonly publicUrl: string | undefined;
  readonly sessionKeys: readonly string[];
  /** True when the keys were made up for this run: sessions then end when the process does. */
  readonly sessionKeysGenerated: boolean;
  readonly statusTtl: number | undefined;
  readonly scope: 'snsapi_base' | 'snsapi_userinfo';
  readonly accountName: string | undefined;
  readonly qrCodeUrl: string | undefined;
  readonly wechat: WeChatTarget;
  /** One Redis for the store, the lock and the sessions, so that several processes serve one site. */
  readonly redisUrl: string | undefined;
  /** The push endpoint at /wechat/events: WECHAT_TOKEN, or a token made up for the embedded emulator. */
  readonly push: DemoPush | undefined;
}

/** The MP console's server configuration (服务器配置), as the demo serves it. */
export interface DemoPush {
  readonly token: string;
  readonly encodingAESKey: string | undefined;
  readonly mode: 'plaintext' | 'compatible' | 'safe';
  /** True when the token was made up for the embedded emulator, which is told it. */
  readonly generated: boolean;
}

/** The variables the demo reads; anything else in the environment is not its business. */
export const ENVIRONMENT_NAMES = [
  'NODE_ENV',
  'PORT',
  'PUBLIC_URL',
  'SESSION_KEYS',
  'WECHAT_APP_ID',
  'WECHAT_APP_SECRET',
  'WECHAT_API_BASE',
  'WECHAT_OAUTH_BASE',
  'WECHAT_STATUS_TTL',
  'WECHAT_SCOPE',
  'WECHAT_ACCOUNT_NAME',
  'WECHAT_QR_CODE_URL',
  'EMULATOR_PORT',
  'REDIS_URL',
  'WORKERS',
  'WECHAT_TOKEN',
  'WECHAT_AES_KEY',
  'WECHAT_PUSH_MODE',
] as const;

type Environment = Partial<Record<(typeof ENVIRONMENT_NAMES)[number], string>>;

const MIN_SESSION_KEY_LENGTH = 16;

/** Reads the configuration from `env` (`process.env` in the entry). Throws {@link ConfigError}. */
export function readConfig(env: Environment): DemoConfig {
  const production = env.NODE_ENV === 'production';
  const port = readPort('PORT', env.PORT, 3000);
  const session = readSessionKeys(env.SESSION_KEYS, production);
  const wechat = readWeChatTarget(env, production, port);
  const publicUrl = readPublicUrl(env.PUBLIC_URL);
  if (production && publicUrl === undefined) {
    throw new ConfigError(
      "PUBLIC_URL is required in production: the site's origin as WeChat's OAuth domain knows it, such as https://example.com (otherwise each request's Host header would decide where WeChat sends the visitor back)",
    );
  }
  return Object.freeze({
    production,
    port,
    publicUrl,
    sessionKeys: Object.freeze(session.keys),
    sessionKeysGenerated: session.generated,
    statusTtl: readSeconds('WECHAT_STATUS_TTL', env.WECHAT_STATUS_TTL),
    scope: readScope(env.WECHAT_SCOPE),
    accountName: blankToUndefined(env.WECHAT_ACCOUNT_NAME),
    qrCodeUrl: readHttpUrl('WECHAT_QR_CODE_URL', env.WECHAT_QR_CODE_URL),
    wechat,
    redisUrl: readRedisUrl(env.REDIS_URL),
    push: readPush(env, wechat.kind === 'emulator'),
  });
}

/** The values are secrets: no message quotes them. */
function readPush(env: Environment, emulator: boolean): DemoPush | undefined {
  const given = blankToUndefined(env.WECHAT_TOKEN);
  const encodingAESKey = blankToUndefined(env.WECHAT_AES_KEY);
  const mode = blankToUndefined(env.WECHAT_PUSH_MODE) ?? (encodingAESKey === undefined ? 'plaintext' : 'safe');
  if (given !== undefined && !/^[A-Za-z0-9]{3,32}$/.test(given)) {
    throw new ConfigError("WECHAT_TOKEN must be the Token of the MP console's server configuration: 3 to 32 letters and digits");
  }
  if (encodingAESKey !== undefined && !/^[A-Za-z0-9]{43}$/.test(encodingAESKey)) {
    throw new ConfigError("WECHAT_AES_KEY must be the EncodingAESKey of the MP console's server configuration: 43 letters and digits");
  }
  if (mode !== 'plaintext' && mode !== 'compatible' && mode !== 'safe')
    throw new ConfigError('WECHAT_PUSH_MODE must be plaintext, compatible or safe');
  if (mode !== 'plaintext' && encodingAESKey === undefined)
    throw new ConfigError(`WECHAT_PUSH_MODE=${mode} needs WECHAT_AES_KEY, the EncodingAESKey`);
  if (given === undefined) {
    if (!emulator && (encodingAESKey !== undefined || env.WECHAT_PUSH_MODE !== undefined)) {
      throw new ConfigError("WECHAT_AES_KEY and WECHAT_PUSH_MODE need WECHAT_TOKEN, the Token of the MP console's server configuration");
    }
    // On a real account, no token means no endpoint. The embedded emulator pushes to a token made up for it.
    if (!emulator) return undefined;
    return { token: randomBytes(16).toString('hex'), encodingAESKey, mode, generated: true };
  }
  return { token: given, encodingAESKey, mode, generated: false };
}

function readRedisUrl(value: string | undefined): string | undefined {
  const url = blankToUndefined(value);
  if (url === undefined) return undefined;
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    // The value is not echoed: a Redis URL may hold a password.
    throw new ConfigError('REDIS_URL must be a redis:// or rediss:// URL, such as redis://127.0.0.1:6379');
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:')
    throw new ConfigError('REDIS_URL must be a redis:// or rediss:// URL, such as redis://127.0.0.1:6379');
  return url;
}

function readWeChatTarget(env: Environment, production: boolean, port: number): WeChatTarget {
  const appId = blankToUndefined(env.WECHAT_APP_ID);
  const appSecret = blankToUndefined(env.WECHAT_APP_SECRET);
  const apiBaseUrl = readHttpUrl('WECHAT_API_BASE', env.WECHAT_API_BASE);
  const oauthBaseUrl = readHttpUrl('WECHAT_OAUTH_BASE', env.WECHAT_OAUTH_BASE);
  if (appId === undefined) {
    // Without an account the demo runs on the emulator; a half-given account is a mistake, not a hint.
    for (const [name, value] of [
      ['WECHAT_APP_SECRET', appSecret],
      ['WECHAT_API_BASE', apiBaseUrl],
      ['WECHAT_OAUTH_BASE', oauthBaseUrl],
    ] as const) {
      if (value !== undefined) throw new ConfigError(`${name} is set but WECHAT_APP_ID is not: set both, or neither to run on the embedded emulator`);
    }
    if (production) throw new ConfigError('WECHAT_APP_ID and WECHAT_APP_SECRET are required in production: the embedded emulator is for development');
    // Next to the demo's port, or any free one when that is free-choice too, or the last port there is.
    const defaultPort = port === 0 || port === 65_535 ? 0 : port + 1;
    return { kind: 'emulator', port: readPort('EMULATOR_PORT', env.EMULATOR_PORT, defaultPort) };
  }
  if (appSecret === undefined) throw new ConfigError('WECHAT_APP_SECRET is required when WECHAT_APP_ID is set (the AppSecret from the MP console)');
  return { kind: 'real', appId, appSecret, apiBaseUrl, oauthBaseUrl };
}

function readSessionKeys(value: string | undefined, production: boolean): { keys: string[]; generated: boolean } {
  if (blankToUndefined(value) === undefined) {
    if (production) {
      throw new ConfigError(
        'SESSION_KEYS is required in production: sessions signed with keys made up at start would end at every restart and differ between processes (make one with: openssl rand -hex 32)',
      );
    }
    return { keys: [randomBytes(32).toString('hex')], generated: true };
  }
  const keys = value!.split(',').map((key) => key.trim());
  if (keys.some((key) => key.length < MIN_SESSION_KEY_LENGTH)) {
    throw new ConfigError(
      `SESSION_KEYS: every comma-separated key must be at least ${MIN_SESSION_KEY_LENGTH} characters (make one with: openssl rand -hex 32)`,
    );
  }
  return { keys, generated: false };
}

function readPort(name: string, value: string | undefined, fallback: number): number {
  if (blankToUndefined(value) === undefined) return fallback;
  const port = Number(value);
  if (!/^\d+$/.test(value!.trim()) || port > 65_535) throw new ConfigError(`${name} must be a port number from 0 to 65535, got ${shown(value!)}`);
  return port;
}

function readSeconds(name: string, value: string | undefined): number | undefined {
  if (blankToUndefined(value) === undefined) return undefined;
  if (!/^\d+$/.test(value!.trim())) throw new ConfigError(`${name} must be a whole number of seconds, got ${shown(value!)}`);
  return Number(value);
}

function readScope(value: string | undefined): 'snsapi_base' | 'snsapi_userinfo' {
  const scope = blankToUndefined(value) ?? 'snsapi_base';
  if (scope !== 'snsapi_base' && scope !== 'snsapi_userinfo') {
    throw new ConfigError(`WECHAT_SCOPE must be snsapi_base or snsapi_userinfo, got ${shown(value!)}`);
  }
  return scope;
}

function readPublicUrl(value: string | undefined): string | undefined {
  const url = readHttpUrl('PUBLIC_URL', value);
  if (url === undefined) return undefined;
  const parsed = new URL(url);
  if (parsed.pathname !== '/' || parsed.search !== '' || parsed.hash !== '') {
    throw new ConfigError("PUBLIC_URL must be the site's origin only (no path or query), such as https://example.com");
  }
  return parsed.origin;
}

function readHttpUrl(name: string, value: string | undefined): string | undefined {
  const url = blankToUndefined(value);
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL, such as https://example.com`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new ConfigError(`${name} must be an http(s) URL, such as https://example.com`);
  if (parsed.username !== '' || parsed.password !== '') throw new ConfigError(`${name} must not carry a user name or password`);
  return url;
}

/**
 * A wrong value, quoted only when short and printable: a long one may be the AppSecret pasted into the wrong
 * variable, and a line break or a terminal escape would break the one line.
 */
function shown(value: string): string {
  return /^[\x20-\x7e]{1,12}$/.test(value) ? `"${value}"` : `a value of ${value.length} characters`;
}

function blankToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
