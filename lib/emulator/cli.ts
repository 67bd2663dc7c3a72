#!/usr/bin/env node
/**
 * `npm run emulator` (or `npx wechat-emulator`): a local WeChat on its own. Reads PORT, HOST, WECHAT_APP_ID,
 * WECHAT_APP_SECRET, and for pushes WECHAT_PUSH_URL, WECHAT_TOKEN and WECHAT_AES_KEY. Bad configuration
 * prints one line and exits with code 1.
 */
/* eslint-disable no-console -- a command-line program talks on stdout and stderr */
import { DEFAULT_EMULATOR_APP_SECRET, startEmulator, type EmulatorOptions } from './index.js';

const env = process.env;

function fail(message: string): never {
  console.error(`wechat-emulator: ${message}`);
  process.exit(1);
}

const port = env.PORT === undefined || env.PORT === '' ? 3001 : Number(env.PORT);
if (!Number.isInteger(port) || port < 0 || port > 65_535) fail('PORT must be a port number from 0 to 65535');

const options: EmulatorOptions & { port: number; host: string } = { port, host: env.HOST || '127.0.0.1' };
if (env.WECHAT_APP_ID) options.appId = env.WECHAT_APP_ID;
if (env.WECHAT_APP_SECRET) options.appSecret = env.WECHAT_APP_SECRET;
if (env.WECHAT_PUSH_URL) {
  options.push = { url: env.WECHAT_PUSH_URL, token: env.WECHAT_TOKEN ?? '' };
  if (env.WECHAT_AES_KEY) options.push.encodingAESKey = env.WECHAT_AES_KEY;
}

try {
  const emulator = await startEmulator(options);
  const { url } = emulator;
  // The built-in secret is printed so that it can be pasted; one taken from the environment never is.
  const secret = emulator.appSecret === DEFAULT_EMULATOR_APP_SECRET ? emulator.appSecret : '(from WECHAT_APP_SECRET)';
  console.log(`WeChat emulator listening on ${url}`);
  console.log(`  console     ${url}/emulator`);
  console.log(`  AppID       ${emulator.appId}`);
  console.log(`  AppSecret   ${secret}`);
  console.log(
    `  test users  ${emulator
      .users()
      .map((user) => `${user.nickname} (${user.subscribed ? 'follows' : 'does not follow'})`)
      .join(', ')}`,
  );
  console.log(`  push URL    ${emulator.options.push?.url ?? 'none (set WECHAT_PUSH_URL and WECHAT_TOKEN)'}`);
  console.log(`Point a client at it: apiBaseUrl and oauthBaseUrl ${url}`);
  const stop = (): void => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  const code = (error as { code?: unknown }).code;
  if (code === 'EADDRINUSE') fail(`port ${port} is in use: set PORT to another one`);
  if (error instanceof TypeError)
    fail(error.message.replace(/^createEmulator: option "([\w.]+)"/, (_, name: string) => `${envName(name)} (${name})`));
  fail(error instanceof Error ? error.message : String(error));
}

function envName(option: string): string {
  const names: Record<string, string> = {
    appId: 'WECHAT_APP_ID',
    appSecret: 'WECHAT_APP_SECRET',
    'push.url': 'WECHAT_PUSH_URL',
    'push.token': 'WECHAT_TOKEN',
    'push.encodingAESKey': 'WECHAT_AES_KEY',
  };
  return names[option] ?? option;
}
