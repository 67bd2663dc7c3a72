/**
 * `npm start`: the demo site. With WECHAT_APP_ID it talks to that account; without it, it starts the local
 * WeChat emulator beside itself and points the site at it, so that it works at once in any desktop browser.
 * Bad configuration prints one line and exits with code 1.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWeChat, WeChatOptionsError, type WeChat, type WeChatOptions } from '../lib/index.js';
import type { Emulator } from '../lib/emulator/index.js';
import { createDemoApp } from './app.js';
import { ConfigError, readConfig, type DemoConfig } from './config.js';
import { startDemoEmulator } from './embedded-emulator.js';

/** createWeChat's option names, as the environment spells them, so that its errors name what to change. */
const ENVIRONMENT_NAME_OF: Readonly<Record<string, string>> = {
  appId: 'WECHAT_APP_ID',
  appSecret: 'WECHAT_APP_SECRET',
  apiBaseUrl: 'WECHAT_API_BASE',
  oauthBaseUrl: 'WECHAT_OAUTH_BASE',
  publicUrl: 'PUBLIC_URL',
  statusTtl: 'WECHAT_STATUS_TTL',
  accountName: 'WECHAT_ACCOUNT_NAME',
};

function fail(message: string): never {
  process.stderr.write(`demo: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let config: DemoConfig;
  try {
    config = readConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  if (config.sessionKeysGenerated) {
    process.stderr.write('demo: SESSION_KEYS is not set: signing sessions with a key made up for this run (visitors sign in again after a restart)\n');
  }

  let emulator: Emulator | undefined;
  if (config.wechat.kind === 'emulator') {
    const { port } = config.wechat;
    emulator = await startDemoEmulator(port, config.publicUrl).catch((error: unknown) => fail(listenProblem(error, 'EMULATOR_PORT', port)));
  }
  const wechat = createWeChatOrFail(config, emulator);
  const app = createDemoApp({ config, wechat, emulatorUrl: emulator?.url });
  const handle = app.callback();
  const server = await listen((request, response) => void handle(request, response), config.port).catch((error: unknown) => fail(listenProblem(error, 'PORT', config.port)));
  const url = config.publicUrl ?? `http://localhost:${(server.address() as AddressInfo).port}`;

  const lines = [`Demo site on ${url}`, `  open ${url}/page and pick a test user`];
  if (emulator !== undefined) {
    lines.push(`  WeChat emulator on ${emulator.url} (console ${emulator.url}/emulator)`);
    lines.push(`  test users  ${emulator.users().map((user) => `${user.nickname} (${user.subscribed ? 'follows' : 'does not follow'})`).join(', ')}`);
  } else {
    lines.push(`  WeChat account ${wechat.client.appId}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  const stop = (): void => {
    server.close();
    server.closeAllConnections();
    void Promise.all([wechat.close(), emulator?.close()]).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function createWeChatOrFail(config: DemoConfig, emulator: Emulator | undefined): WeChat {
  const target = config.wechat;
  const options: WeChatOptions =
    target.kind === 'real'
      ? { appId: target.appId, appSecret: target.appSecret, apiBaseUrl: target.apiBaseUrl, oauthBaseUrl: target.oauthBaseUrl }
      : { appId: emulator!.appId, appSecret: emulator!.appSecret, apiBaseUrl: emulator!.url, oauthBaseUrl: emulator!.url, accountName: emulator!.options.accountName };
  if (config.publicUrl !== undefined) options.publicUrl = config.publicUrl;
  if (config.statusTtl !== undefined) options.statusTtl = config.statusTtl;
  if (config.accountName !== undefined) options.accountName = config.accountName;
  try {
    return createWeChat(options);
  } catch (error) {
    if (error instanceof WeChatOptionsError) {
      const option = (error as { option?: string }).option ?? '';
      fail(`${ENVIRONMENT_NAME_OF[option] ?? option}: ${error.message}`);
    }
    throw error;
  }
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

function listenProblem(error: unknown, name: string, port: number): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE') return `port ${port} is in use: set ${name} to another one`;
  if (code === 'EACCES') return `port ${port} needs privileges: set ${name} to 1024 or more`;
  return `could not listen on ${name} ${port}: ${error instanceof Error ? error.message : String(error)}`;
}

main().catch((error: unknown) => fail(`could not start: ${error instanceof Error ? error.message : String(error)}`));
