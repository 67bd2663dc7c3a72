/**
 * A cold burst: 1,000 visitors with distinct openids ask at once whether they follow the account, with nothing
 * cached. Three ways, each against a fresh emulator holding the same 1,000 users (two thirds following):
 * co-wechat-api as its README shows it, the original PHP recipe translated literally, and `createWeChat`.
 *
 * Run: npx tsx bench/burst.ts   (BENCH_ROUNDS=5 and BENCH_USERS=1000 by default)
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WechatAPI from 'co-wechat-api';
import { createWeChat } from '../lib/index.js';
import { startEmulator, type Emulator } from '../lib/emulator/index.js';
import { median, print, printTable, spread } from './table.js';

const USERS = Number(process.env.BENCH_USERS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
// A fixed seed gives every emulator the same openids, so every contender asks about the same users.
const SEED = 'koa-wechat-subscription bench';
// A full collection before each burst, so that one contender's garbage (1,000 sockets) is not the next one's bill.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

interface Visitor {
  openid: string;
  subscribed: boolean;
}

/** One way of answering "does this openid follow?", set up before the clock starts and closed after it stops. */
interface Contender {
  name: string;
  start(emulator: Emulator): { follows(openid: string): Promise<boolean>; close(): Promise<void> };
}

interface Round {
  tokenFetches: number;
  userInfoCalls: number;
  /** The lookup threw. */
  errors: number;
  /** The lookup answered, and the answer was wrong. */
  wrong: number;
  ms: number;
  firstError: string | undefined;
}

const coWechatApi: Contender = {
  name: 'co-wechat-api 3.11.0',
  start(emulator) {
    // As its README shows: one instance, the default in-memory token store.
    const api = new WechatAPI(emulator.appId, emulator.appSecret);
    api.prefix = `${emulator.url}/cgi-bin/`;
    return { follows: async (openid) => (await api.getUser(openid)).subscribe === 1, close: async () => {} };
  },
};

/**
 * The PHP recipe, line for line: a token per visitor, then user/info. Like the recipe, it reads `subscribe` and
 * nothing else, so an errcode answer becomes "does not follow".
 */
const phpRecipe: Contender = {
  name: 'PHP recipe (fetch)',
  start(emulator) {
    const { url, appId, appSecret } = emulator;
    return {
      async follows(openid) {
        const token = (await (await fetch(`${url}/cgi-bin/token?grant_type=client_credential&appid=${appId}&secret=${appSecret}`)).json()) as {
          access_token?: string;
        };
        const user = (await (await fetch(`${url}/cgi-bin/user/info?access_token=${token.access_token}&openid=${openid}&lang=zh_CN`)).json()) as {
          subscribe?: number;
        };
        return user.subscribe === 1;
      },
      close: async () => {},
    };
  },
};

function ours(tokenSource: 'stable' | 'classic' | undefined): Contender {
  return {
    name: `createWeChat (${tokenSource ?? 'stable, default'})`,
    start(emulator) {
      const wechat = createWeChat({
        appId: emulator.appId,
        appSecret: emulator.appSecret,
        apiBaseUrl: emulator.url,
        ...(tokenSource === undefined ? {} : { tokenSource }),
      });
      return {
        follows: async (openid) => (await wechat.subscriptions.status(openid)).subscribed,
        close: () => wechat.close(),
      };
    },
  };
}

const OURS_STABLE = ours(undefined);
const CONTENDERS: Contender[] = [coWechatApi, phpRecipe, ours('classic'), OURS_STABLE];

async function freshEmulator(): Promise<{ emulator: Emulator; visitors: Visitor[] }> {
  const emulator = await startEmulator({ seed: SEED, users: [] });
  const visitors = Array.from({ length: USERS }, (_, index) => {
    // Every third visitor does not follow: two thirds do.
    const user = emulator.createUser({ nickname: `visitor-${index}`, subscribed: index % 3 !== 0 });
    return { openid: user.openid, subscribed: index % 3 !== 0 };
  });
  emulator.resetCounters();
  return { emulator, visitors };
}

async function burst(contender: Contender): Promise<Round> {
  const { emulator, visitors } = await freshEmulator();
  const services = contender.start(emulator);
  await sleep(100);
  collectGarbage();
  try {
    const started = performance.now();
    const answers = await Promise.allSettled(visitors.map((visitor) => services.follows(visitor.openid)));
    const ms = performance.now() - started;
    const rejected = answers.filter((answer): answer is PromiseRejectedResult => answer.status === 'rejected');
    return {
      tokenFetches: emulator.calls('/cgi-bin/token') + emulator.calls('/cgi-bin/stable_token'),
      userInfoCalls: emulator.calls('/cgi-bin/user/info') + emulator.calls('/cgi-bin/user/info/batchget'),
      errors: rejected.length,
      wrong: answers.filter((answer, index) => answer.status === 'fulfilled' && answer.value !== visitors[index]!.subscribed).length,
      ms,
      firstError: rejected.length === 0 ? undefined : describe(rejected[0]!.reason),
    };
  } finally {
    await services.close();
    await emulator.close();
  }
}

function describe(reason: unknown): string {
  return reason instanceof Error ? `${reason.name}: ${reason.message}` : JSON.stringify(reason);
}

async function main(): Promise<void> {
  print(`Cold burst: ${USERS} concurrent lookups of distinct users, ${ROUNDS} rounds (+1 warm-up), Node ${process.version}`);
  const rounds = new Map<Contender, Round[]>(CONTENDERS.map((contender) => [contender, []]));
  for (let round = -1; round < ROUNDS; round++) {
    // The order turns each round, so that no contender always runs first (cold JIT) or last (a full heap).
    const order = CONTENDERS.map((_, index) => CONTENDERS[(index + Math.max(round, 0)) % CONTENDERS.length]!);
    for (const contender of order) {
      const result = await burst(contender);
      if (round >= 0) rounds.get(contender)!.push(result);
      if (process.env.BENCH_VERBOSE === '1') print(`round ${round < 0 ? 'warm-up' : round + 1}: ${contender.name} ${result.ms.toFixed(1)} ms`);
    }
  }
  const reference = median(rounds.get(OURS_STABLE)!.map((round) => round.ms));
  const rows = CONTENDERS.map((contender) => {
    const results = rounds.get(contender)!;
    const ms = median(results.map((round) => round.ms));
    return [
      contender.name,
      spread(results.map((round) => round.tokenFetches)),
      spread(results.map((round) => round.userInfoCalls)),
      spread(results.map((round) => round.errors)),
      spread(results.map((round) => round.wrong)),
      ms.toFixed(1),
      `${(ms / reference).toFixed(1)}×`,
    ];
  });
  print();
  printTable(['contender', 'token fetches', 'user-info calls', 'errors', 'wrong', 'median ms', 'time vs ours'], rows);
  for (const [contender, results] of rounds) {
    const message = results.find((round) => round.firstError !== undefined)?.firstError;
    if (message !== undefined) print(`\n${contender.name}, first error: ${message}`);
  }
  print('\nuser-info calls: /cgi-bin/user/info + /cgi-bin/user/info/batchget; counts are min–max over the rounds when they differ.');
}

await main();
