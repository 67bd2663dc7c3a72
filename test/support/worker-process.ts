/**
 * One process of a deployment, for the tests and the benchmark of several processes: createWeChat on a Redis
 * store (the README's `new Keyv(new KeyvRedis(url))`), aimed at an emulator, driven by its parent over IPC.
 * Its configuration comes as JSON in WORKER_CONFIG (see {@link WorkerConfig}).
 */
import KeyvRedis from '@keyv/redis';
import { Keyv } from 'keyv';
import { createWeChat, WeChatStatusUnknownError, type WeChatApiError } from '../../lib/index.js';
import { MemoryLock } from '../../lib/tokens/lock.js';
import type { WorkerAnswer, WorkerConfig, WorkerRequest } from './workers.js';

const config = JSON.parse(process.env.WORKER_CONFIG ?? '{}') as WorkerConfig;
const warnings: string[] = [];
const store = new Keyv(new KeyvRedis(config.redisUrl), { namespace: config.namespace });
// Keyv re-emits the client's errors; an 'error' without a listener would end the process.
store.on('error', () => undefined);
const wechat = createWeChat({
  appId: config.appId,
  appSecret: config.appSecret,
  apiBaseUrl: config.emulatorUrl,
  oauthBaseUrl: config.emulatorUrl,
  tokenSource: config.tokenSource,
  store,
  // The landed behaviour, for contrast: each process its own lock.
  ...(config.processLock === true ? { lock: new MemoryLock() } : {}),
  ...(config.storeTimeout !== undefined ? { storeTimeout: config.storeTimeout } : {}),
  timeout: 5,
  retry: { retries: 1, minDelay: 0.01, maxDelay: 0.05 },
  logger: { warn: (line) => warnings.push(line) },
});

async function lookups(openids: string[]): Promise<WorkerAnswer> {
  const started = performance.now();
  let longestMs = 0;
  const answers = await Promise.all(
    openids.map(async (openid) => {
      const asked = performance.now();
      try {
        const { subscribed } = await wechat.subscriptions.status(openid);
        return { openid, subscribed };
      } catch (error) {
        const cause = error instanceof WeChatStatusUnknownError ? (error.cause as WeChatApiError | undefined) : undefined;
        return { openid, error: cause?.errcode ?? cause?.name ?? (error instanceof Error ? error.name : 'unknown') };
      } finally {
        longestMs = Math.max(longestMs, performance.now() - asked);
      }
    }),
  );
  return { answers, longestMs, totalMs: performance.now() - started };
}

process.on('message', (message: WorkerRequest) => {
  const reply = (answer: WorkerAnswer) => process.send!({ id: message.id, ...answer });
  void (async () => {
    switch (message.type) {
      case 'lookups':
        return reply(await lookups(message.openids));
      case 'stats':
        return reply({ heapUsed: process.memoryUsage().heapUsed, warnings: warnings.splice(0) });
      case 'gc':
        (globalThis as { gc?: () => void }).gc?.();
        return reply({ heapUsed: process.memoryUsage().heapUsed });
      case 'close':
        await wechat.close();
        await Promise.race([store.disconnect().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 500))]);
        reply({});
        return process.exit(0);
    }
  })().catch((error: unknown) => reply({ failure: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }));
});

process.send!({ id: 0, ready: true });
