/**
 * `npm run demo:cluster`: the demo as WORKERS processes (default 4) on one port, with `node:cluster`, sharing
 * REDIS_URL (default redis://127.0.0.1:6379) for tokens, statuses, the token lock and the sessions. Without an
 * account, the primary runs the one emulator and the workers talk to it as to a real account, so that they all
 * see one WeChat. Sessions need keys that every worker shares: SESSION_KEYS, or one made up here for the run.
 */
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { ConfigError, readConfig } from './config.js';

function fail(message: string): never {
  process.stderr.write(`demo: ${message}\n`);
  process.exit(1);
}

if (cluster.isPrimary) {
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' };
    const config = readConfig(env);
    const workers = readWorkers(process.env.WORKERS);
    if (env.SESSION_KEYS === undefined || env.SESSION_KEYS === '') env.SESSION_KEYS = randomBytes(32).toString('hex');
    let stopEmulator = (): Promise<void> => Promise.resolve();
    if (config.wechat.kind === 'emulator') {
      const { startDemoEmulator } = await import('./embedded-emulator.js');
      const emulator = await startDemoEmulator(config.wechat.port, config.publicUrl);
      stopEmulator = () => emulator.close();
      Object.assign(env, {
        WECHAT_APP_ID: emulator.appId,
        WECHAT_APP_SECRET: emulator.appSecret,
        WECHAT_API_BASE: emulator.url,
        WECHAT_OAUTH_BASE: emulator.url,
      });
      process.stdout.write(`WeChat emulator on ${emulator.url} (console ${emulator.url}/emulator), shared by the workers\n`);
    }
    process.stdout.write(`demo: ${workers} workers on port ${config.port}, sharing ${redacted(config.redisUrl!)}\n`);
    let stopping = false;
    cluster.on('exit', (worker, code) => {
      if (!stopping) process.stderr.write(`demo: worker ${worker.process.pid} ended (code ${code})\n`);
    });
    for (let index = 0; index < workers; index++) cluster.fork(env);
    const stop = (): void => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
      const waiting = setInterval(() => {
        if (Object.keys(cluster.workers ?? {}).length > 0) return;
        clearInterval(waiting);
        void stopEmulator().then(() => process.exit(0));
      }, 50);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    fail(`could not start: ${error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error)}`);
  }
} else {
  // Each worker is `npm start` on the shared port: node:cluster hands the connections around.
  await import('./server.js');
}

function readWorkers(value: string | undefined): number {
  if (value === undefined || value === '') return 4;
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new ConfigError('WORKERS must be a whole number from 1 to 64');
  return count;
}

/** The URL without a password, for the start-up line. */
function redacted(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.href;
}
