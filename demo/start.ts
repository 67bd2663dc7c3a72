/**
 * `startDemo(config)`: everything `npm start` starts: the embedded emulator when there is no account, the
 * shared WeChat services, the app and its HTTP server. The entry (`server.ts`) and the tests both use it.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWeChat, WeChatOptionsError, type WeChat, type WeChatOptions } from '../lib/index.js';
import type { Emulator } from '../lib/emulator/index.js';
import { createDemoApp } from './app.js';
import { ConfigError, type DemoConfig } from './config.js';
import { renderWeChatPage } from './error-pages.js';
import { startDemoEmulator } from './embedded-emulator.js';
import { connectRedis, type DemoRedis } from './redis.js';
import type { LogLine } from './request-log.js';

export interface RunningDemo {
  /** Where a browser opens the demo: PUBLIC_URL, or `http://localhost:<port>`. */
  readonly url: string;
  readonly server: Server;
  readonly wechat: WeChat;
  /** The embedded emulator; undefined on a real account. */
  readonly emulator: Emulator | undefined;
  close(): Promise<void>;
}

/** createWeChat's option names, as the environment spells them, so that its errors name what to change. */
const ENVIRONMENT_NAME_OF: Readonly<Record<string, string>> = {
  appId: 'WECHAT_APP_ID',
  appSecret: 'WECHAT_APP_SECRET',
  apiBaseUrl: 'WECHAT_API_BASE',
  oauthBaseUrl: 'WECHAT_OAUTH_BASE',
  publicUrl: 'PUBLIC_URL',
  statusTtl: 'WECHAT_STATUS_TTL',
  accountName: 'WECHAT_ACCOUNT_NAME',
  qrCodeUrl: 'WECHAT_QR_CODE_URL',
  'push.token': 'WECHAT_TOKEN',
  'push.encodingAESKey': 'WECHAT_AES_KEY',
  'push.mode': 'WECHAT_PUSH_MODE',
};

/**
 * Starts the demo. Throws {@link ConfigError} (one line, naming the variable) for what a person must fix.
 * `create` makes the services: tests that play two processes in one give the second services of its own.
 */
export async function startDemo(config: DemoConfig, log?: LogLine, create: (options: WeChatOptions) => WeChat = createWeChat): Promise<RunningDemo> {
  let emulator: Emulator | undefined;
  if (config.wechat.kind === 'emulator') {
    const { port } = config.wechat;
    emulator = await startDemoEmulator(port, config.publicUrl).catch((error: unknown) => {
      throw listenProblem(error, 'EMULATOR_PORT', port);
    });
  }
  const redis: DemoRedis | undefined = config.redisUrl === undefined ? undefined : connectRedis(config.redisUrl);
  let wechat: WeChat;
  try {
    wechat = create({ ...wechatOptions(config, emulator), ...(redis === undefined ? {} : { store: redis.store, logger: { warn: redisWarning } }) });
  } catch (error) {
    await redis?.close();
    await emulator?.close();
    if (error instanceof WeChatOptionsError) throw new ConfigError(`${ENVIRONMENT_NAME_OF[error.option] ?? error.option}: ${error.message}`);
    throw error;
  }
  const app = createDemoApp({ config, wechat, emulatorUrl: emulator?.url, log, sessionStore: redis?.sessions });
  const push = config.push;
  const handle = app.callback();
  const server = await listen((request, response) => void handle(request, response), config.port).catch(async (error: unknown) => {
    await wechat.close();
    await redis?.close();
    await emulator?.close();
    throw listenProblem(error, 'PORT', config.port);
  });
  // The embedded emulator is the MP console too: it pushes follows and unfollows to this very server.
  if (emulator !== undefined && push !== undefined) {
    const { token, encodingAESKey, mode } = push;
    emulator.configurePush({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/wechat/events`, token, encodingAESKey, mode });
  }
  return {
    url: config.publicUrl ?? `http://localhost:${(server.address() as AddressInfo).port}`,
    server,
    wechat,
    emulator,
    async close() {
      await closeServer(server);
      await wechat.close();
      await redis?.close();
      await emulator?.close();
    },
  };
}

/** The library's warnings about its store (Redis away, back again): already one line, rate-limited, redacted. */
function redisWarning(line: string): void {
  process.stderr.write(`demo: ${line}\n`);
}

/** How long the requests under way may take to finish once the demo is told to stop. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Stops taking connections and lets the requests under way finish (a visitor mid-callback keeps their
 * sign-in), closing idle keep-alive connections at once; after the grace period, the rest are cut.
 */
async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const deadline = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
  deadline.unref();
  await closed;
  clearTimeout(deadline);
}

function wechatOptions(config: DemoConfig, emulator: Emulator | undefined): WeChatOptions {
  const target = config.wechat;
  // undefined options take the library's defaults (WeChat's own base URLs, the service's statusTtl…).
  const account: WeChatOptions =
    target.kind === 'real'
      ? { appId: target.appId, appSecret: target.appSecret, apiBaseUrl: target.apiBaseUrl, oauthBaseUrl: target.oauthBaseUrl }
      : {
          appId: emulator!.appId,
          appSecret: emulator!.appSecret,
          apiBaseUrl: emulator!.url,
          oauthBaseUrl: emulator!.url,
          accountName: emulator!.options.accountName,
        };
  return {
    ...account,
    publicUrl: config.publicUrl,
    statusTtl: config.statusTtl,
    accountName: config.accountName ?? account.accountName,
    qrCodeUrl: config.qrCodeUrl,
    renderPage: renderWeChatPage,
    push: config.push === undefined ? undefined : { token: config.push.token, encodingAESKey: config.push.encodingAESKey, mode: config.push.mode },
  };
}

function listen(handler: RequestListener, port: number): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    const server = createServer(handler);
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function listenProblem(error: unknown, name: string, port: number): Error {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE') return new ConfigError(`port ${port} is in use: set ${name} to another one`);
  if (code === 'EACCES') return new ConfigError(`port ${port} needs privileges: set ${name} to 1024 or more`);
  return error instanceof Error ? error : new Error(String(error));
}
