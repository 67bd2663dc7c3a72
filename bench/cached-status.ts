/**
 * The hot path: a visitor with a session whose status is cached. `status(openid)` answered from the default
 * in-memory store, next to the floor it is built on (a bare `Keyv#get` of the same key on `createMemoryStore()`)
 * and a plain `Map#get`; and `tokens.get()` with a cached token, which should cost about a Map lookup.
 *
 * Run: npx tsx bench/cached-status.ts   (BENCH_ROUNDS=5 and BENCH_CALLS=200000 by default)
 */
import { performance } from 'node:perf_hooks';
import { createWeChat } from '../lib/index.js';
import { createMemoryStore } from '../lib/store/memory-store.js';
import { startEmulator } from '../lib/emulator/index.js';
import { subscriptionKey } from '../lib/store/keys.js';
import { median, print, printTable } from './table.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

interface Candidate {
  name: string;
  /** One call; its result is awaited, as a route handler would. */
  call(): unknown;
}

/** Sequential awaited calls, as one visitor after another would make them; operations per second. */
async function opsPerSecond(candidate: Candidate, calls: number): Promise<number> {
  const started = performance.now();
  for (let index = 0; index < calls; index++) await candidate.call();
  return calls / ((performance.now() - started) / 1000);
}

function formatOps(ops: number): string {
  return ops >= 1e6 ? `${(ops / 1e6).toFixed(2)} M` : `${(ops / 1e3).toFixed(0)} k`;
}

async function main(): Promise<void> {
  const emulator = await startEmulator({ users: [] });
  const openid = emulator.createUser({ nickname: 'regular', subscribed: true }).openid;
  const wechat = createWeChat({ appId: emulator.appId, appSecret: emulator.appSecret, apiBaseUrl: emulator.url });
  try {
    // The visitor's first lookup asks WeChat and fills the cache (a follower's answer is trusted for 300 s).
    const first = await wechat.subscriptions.status(openid);
    if (!first.subscribed) throw new Error('the benchmark user should follow the account');

    // The same key and value in a bare Keyv on the same kind of store, with the same TTL.
    const key = subscriptionKey(emulator.appId, openid);
    const keyv = createMemoryStore();
    await keyv.set(key, first, wechat.options.statusTtl * 1000);
    const map = new Map<string, unknown>([[key, first]]);

    const status: Candidate = { name: 'subscriptions.status(openid)', call: () => wechat.subscriptions.status(openid) };
    const keyvGet: Candidate = { name: 'Keyv#get (createMemoryStore)', call: () => keyv.get(key) };
    const mapGet: Candidate = { name: 'Map#get', call: () => map.get(key) };
    const token: Candidate = { name: 'tokens.get() (cached token)', call: () => wechat.tokens.get() };
    const candidates = [status, keyvGet, mapGet, token];

    print(`Hot path: ${CALLS.toLocaleString('en')} sequential awaited calls per round, ${ROUNDS} rounds (+1 warm-up), Node ${process.version}`);
    for (const candidate of candidates) await opsPerSecond(candidate, Math.ceil(CALLS / 10));
    emulator.resetCounters();

    const results = new Map<Candidate, number[]>(candidates.map((candidate) => [candidate, []]));
    for (let round = 0; round < ROUNDS; round++) {
      // The order turns each round, so that none always runs right after another's garbage.
      for (let index = 0; index < candidates.length; index++) {
        const candidate = candidates[(index + round) % candidates.length]!;
        results.get(candidate)!.push(await opsPerSecond(candidate, CALLS));
      }
    }
    const wechatCalls = Object.values(emulator.counters()).reduce((sum, count) => sum + count, 0);

    const medians = new Map(candidates.map((candidate) => [candidate, median(results.get(candidate)!)]));
    const ofMap = medians.get(mapGet)!;
    const ofKeyv = medians.get(keyvGet)!;
    print();
    printTable(
      ['operation', 'median ops/s', 'ns/op', 'vs Keyv#get', 'vs Map#get'],
      candidates.map((candidate) => {
        const ops = medians.get(candidate)!;
        return [candidate.name, formatOps(ops), (1e9 / ops).toFixed(0), `${(ops / ofKeyv).toFixed(2)}×`, `${(ops / ofMap).toFixed(2)}×`];
      }),
    );
    print();
    print(`status / Keyv#get: ${(medians.get(status)! / ofKeyv).toFixed(2)} (1.00 would be no cost above the store)`);
    print(`tokens.get / Map#get: ${(medians.get(token)! / ofMap).toFixed(2)}`);
    print(`WeChat calls during the measured rounds: ${wechatCalls} (every answer came from the cache)`);
  } finally {
    await wechat.close();
    await emulator.close();
  }
}

await main();
