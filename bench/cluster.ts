/**
 * Several processes, one deployment: 4 real worker processes on one Redis, each asking about 250 distinct
 * openids at once with nothing cached (classic tokens, an emulator answering in about 100 ms as WeChat does);
 * then a token expiry forced while the next burst is on the wire. With the Redis lock the store implies, and
 * with each process its own lock (the landed behaviour), for contrast.
 *
 * Needs Redis: REDIS_URL, or 127.0.0.1:6379. Run: npx tsx bench/cluster.ts   (BENCH_ROUNDS=5 by default)
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEmulator } from '../lib/emulator/index.js';
import { startWorkers } from '../test/support/workers.js';
import { print, printTable, spread } from './table.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PROCESSES = 4;
const PER_PROCESS = 250;
// Seconds a retired classic token keeps working: WeChat's is 300; 0 shows every extra fetch as the failures it causes.
const OVERLAP = Number(process.env.BENCH_OVERLAP ?? 0);

interface Round {
  coldFetches: number;
  coldUserInfo: number;
  expiryFetches: number;
  failed: number;
}

async function round(processLock: boolean): Promise<Round> {
  const emulator = await startEmulator({ latency: 0.1, tokenOverlap: OVERLAP });
  const users = Array.from({ length: PROCESSES * PER_PROCESS * 2 }, (_, index) =>
    emulator.createUser({ nickname: `u${index}`, subscribed: index % 3 !== 0 }),
  );
  const workers = await startWorkers(PROCESSES, {
    redisUrl: REDIS_URL,
    namespace: `kws-bench-${randomUUID()}`,
    emulatorUrl: emulator.url,
    appId: emulator.appId,
    appSecret: emulator.appSecret,
    tokenSource: 'classic',
    processLock,
  });
  let failed = 0;
  const burst = async (offset: number, during?: () => void) => {
    const asked = workers.map((worker, index) => {
      const start = offset + index * PER_PROCESS;
      return worker.ask({ type: 'lookups', openids: users.slice(start, start + PER_PROCESS).map((user) => user.openid) });
    });
    during?.();
    for (const { answers } of await Promise.all(asked)) {
      for (const answer of answers!) if (answer.subscribed !== emulator.findUser(answer.openid)!.subscribed) failed += 1;
    }
  };
  try {
    await burst(0);
    const coldFetches = emulator.calls('/cgi-bin/token');
    const coldUserInfo = emulator.calls('/cgi-bin/user/info') + emulator.calls('/cgi-bin/user/info/batchget');
    await burst(PROCESSES * PER_PROCESS, () => void sleep(30).then(() => emulator.advanceClock(7200)));
    if (process.env.BENCH_VERBOSE === '1') {
      for (const worker of workers) for (const line of (await worker.ask({ type: 'stats' })).warnings!) print(`  ${line}`);
    }
    return { coldFetches, coldUserInfo, expiryFetches: emulator.calls('/cgi-bin/token') - coldFetches, failed };
  } finally {
    await Promise.all(workers.map((worker) => worker.close()));
    await emulator.close();
  }
}

const contenders = [
  { name: 'Redis lock (implied by the store)', processLock: false },
  { name: 'a lock per process (the landed wiring)', processLock: true },
];
const results = new Map<string, Round[]>(contenders.map((each) => [each.name, []]));
for (let index = 0; index < ROUNDS; index++) {
  for (const contender of index % 2 === 0 ? contenders : [...contenders].reverse())
    results.get(contender.name)!.push(await round(contender.processLock));
}

print(
  `${PROCESSES} processes × ${PER_PROCESS} cold lookups, classic tokens, one Redis, WeChat answering in ~100 ms, a retired token working ${OVERLAP} s more; ${ROUNDS} rounds`,
);
printTable(
  [
    'contender',
    'token fetches (cold)',
    'user-info calls (cold, all processes)',
    'fetches after a forced expiry',
    'lookups failed or wrong (of 2,000)',
  ],
  contenders.map(({ name }) => {
    const rounds = results.get(name)!;
    return [
      name,
      spread(rounds.map((each) => each.coldFetches)),
      spread(rounds.map((each) => each.coldUserInfo)),
      spread(rounds.map((each) => each.expiryFetches)),
      spread(rounds.map((each) => each.failed)),
    ];
  }),
);
