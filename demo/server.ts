/**
 * `npm start`: the demo site. With WECHAT_APP_ID it talks to that account; without it, it starts the local
 * WeChat emulator beside itself and points the site at it, so that it works at once in any desktop browser.
 * Bad configuration prints one line and exits with code 1, never a stack.
 */
import { ConfigError, readConfig } from './config.js';

function fail(message: string): never {
  process.stderr.write(`demo: ${message}\n`);
  process.exit(1);
}

try {
  const config = readConfig(process.env);
  // Imported here, so that a missing package (an install without devDependencies) is one line, not a stack.
  const { startDemo } = await import('./start.js');
  const demo = await startDemo(config);
  const lines = [`Demo site on ${demo.url}`];
  if (demo.emulator !== undefined) {
    const { emulator } = demo;
    lines.push(`  open ${demo.url}/page and pick a test user`);
    lines.push(`  WeChat emulator on ${emulator.url} (console ${emulator.url}/emulator)`);
    lines.push(
      `  test users  ${emulator
        .users()
        .map((user) => `${user.nickname} (${user.subscribed ? 'follows' : 'does not follow'})`)
        .join(', ')}`,
    );
  } else {
    lines.push(`  open ${demo.url}/page in WeChat (account ${demo.wechat.client.appId})`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  // Warned only once the demo runs, so that a configuration mistake stays the one line printed.
  if (config.sessionKeysGenerated) {
    process.stderr.write(
      'demo: SESSION_KEYS is not set: signing sessions with a key made up for this run (visitors sign in again after a restart)\n',
    );
  }
  const stop = (): void => {
    demo.close().then(
      () => process.exit(0),
      (error: unknown) => fail(`could not stop cleanly: ${oneLine(error)}`),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND') {
    fail(
      `a package is missing (${oneLine(error)}): run npm install; the demo's packages are devDependencies of the library, which NODE_ENV=production leaves out: to deploy, npm run build:demo and run build/demo on its own dependencies (demo/README.md)`,
    );
  }
  // Anything else is a bug of ours: still one line, without the stack.
  fail(`could not start: ${oneLine(error)}`);
}

function oneLine(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error);
}
