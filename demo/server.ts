/**
 * `npm start`: the demo site. With WECHAT_APP_ID it talks to that account; without it, it starts the local
 * WeChat emulator beside itself and points the site at it, so that it works at once in any desktop browser.
 * Bad configuration prints one line and exits with code 1, never a stack.
 */
import { ConfigError, readConfig } from './config.js';
import { startDemo } from './start.js';

function fail(message: string): never {
  process.stderr.write(`demo: ${message}\n`);
  process.exit(1);
}

try {
  const config = readConfig(process.env);
  const demo = await startDemo(config);
  const lines = [`Demo site on ${demo.url}`];
  if (demo.emulator !== undefined) {
    const { emulator } = demo;
    lines.push(`  open ${demo.url}/page and pick a test user`);
    lines.push(`  WeChat emulator on ${emulator.url} (console ${emulator.url}/emulator)`);
    lines.push(`  test users  ${emulator.users().map((user) => `${user.nickname} (${user.subscribed ? 'follows' : 'does not follow'})`).join(', ')}`);
  } else {
    lines.push(`  open ${demo.url}/page in WeChat (account ${demo.wechat.client.appId})`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  // Warned only once the demo runs, so that a configuration mistake stays the one line printed.
  if (config.sessionKeysGenerated) {
    process.stderr.write('demo: SESSION_KEYS is not set: signing sessions with a key made up for this run (visitors sign in again after a restart)\n');
  }
  const stop = (): void => {
    void demo.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  // Anything else is a bug of ours: still one line, with no stack and nothing from the environment.
  fail(`could not start: ${error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error)}`);
}
