/**
 * Four real worker processes on a redis-server of the test's own, which the test kills, pauses, or never
 * starts: no request waits much past the store timeout plus WeChat's own time, nothing crashes, the trouble
 * is said in one warning per kind, and when Redis returns the cache and the lock are used again.
 *
 * Regression: node-redis queues commands while it reconnects (and waits in connect() for a Redis that never
 * came up), and no store call had a bound: every signed-in request hung until Redis came back, unlogged.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { startEmulator, type Emulator, type EmulatorUser } from '../lib/emulator/index.js';
import { OwnRedis, requireRedisServer, sparePort } from './support/redis-server.js';
import { createUsers, wechatCalls } from './support/services.js';
import { startWorkers, type Worker, type WorkerAnswer } from './support/workers.js';

const PROCESSES = 4;
/** The library's default store timeout, and WeChat's (the emulator's) answer time, in ms. */
const STORE_TIMEOUT_MS = 250;
const WECHAT_MS = 100;
/**
 * The bound of one request while Redis is away: a read, the lock and a write may each take the store timeout
 * once before the store counts as down, plus WeChat's answers; doubled, as slack for a loaded machine.
 */
const LONGEST_MS = 2 * (3 * STORE_TIMEOUT_MS + 2 * WECHAT_MS);

describe('a deployment of 4 processes when Redis goes away', function () {
  this.timeout(60_000);
  before(function () {
    requireRedisServer(this, 'deployment.outage.test.ts');
  });

  let emulator: Emulator;
  let redis: OwnRedis;
  let workers: Worker[] = [];
  let users: EmulatorUser[];
  let nextUser = 0;

  beforeEach(async () => {
    emulator = await startEmulator({ latency: WECHAT_MS / 1000 });
    users = createUsers(emulator, 4000);
    nextUser = 0;
    redis = new OwnRedis(await sparePort());
  });

  afterEach(async () => {
    await Promise.all(workers.map((worker) => worker.close()));
    workers = [];
    await redis.stop();
    await emulator.close();
  });

  const start = async () => {
    workers = await startWorkers(PROCESSES, {
      redisUrl: redis.url,
      namespace: `kws-test-${randomUUID()}`,
      emulatorUrl: emulator.url,
      appId: emulator.appId,
      appSecret: emulator.appSecret,
      tokenSource: 'classic',
    });
  };

  /** `fresh` new openids per process, and the same 5 known ones, asked by every process at once. */
  async function round(fresh = 10): Promise<WorkerAnswer[]> {
    const known = users.slice(0, 5).map((user) => user.openid);
    const answers = await Promise.all(
      workers.map((worker) => {
        const mine = users.slice(5 + nextUser, 5 + nextUser + fresh).map((user) => user.openid);
        nextUser += fresh;
        return worker.ask({ type: 'lookups', openids: [...known, ...mine] });
      }),
    );
    for (const answer of answers.flatMap((each) => each.answers!)) {
      expect(answer, answer.openid).to.deep.equal({ openid: answer.openid, subscribed: emulator.findUser(answer.openid)!.subscribed });
    }
    return answers;
  }

  /** Rounds for `ms`: the longest single request among them. */
  async function steadyLoad(ms: number): Promise<number> {
    let longest = 0;
    const until = performance.now() + ms;
    while (performance.now() < until) {
      for (const answer of await round()) longest = Math.max(longest, answer.longestMs!);
      await sleep(50);
    }
    return longest;
  }

  const heaps = async () => Promise.all(workers.map(async (worker) => (await worker.ask({ type: 'gc' })).heapUsed!));
  const warnings = async () => (await Promise.all(workers.map(async (worker) => (await worker.ask({ type: 'stats' })).warnings!))).flat();

  /** Once Redis answers again: statuses are shared (the other processes ask WeChat nothing) and the lock holds (1 refresh). */
  async function expectSharedAgain(): Promise<void> {
    // Past the second the store counts as down, and the client's reconnection (at most 2 s apart).
    await sleep(2500);
    await round();
    const openids = users.slice(3900, 3950).map((user) => user.openid);
    await workers[0]!.ask({ type: 'lookups', openids });
    const before = wechatCalls(emulator);
    await Promise.all(workers.slice(1).map((worker) => worker.ask({ type: 'lookups', openids })));
    expect(wechatCalls(emulator).userInfoCalls, 'statuses shared through Redis again').to.equal(before.userInfoCalls);
    const fetches = emulator.calls('/cgi-bin/token');
    emulator.advanceClock(7200);
    await round(30);
    expect(emulator.calls('/cgi-bin/token') - fetches, 'one refresh for the deployment: the lock holds again').to.equal(1);
  }

  it('killed in the middle of a steady load: bounded requests, at most one token fetch per process, then shared again', async () => {
    await redis.start();
    await start();
    await steadyLoad(1000);
    const heapBefore = await heaps();
    const fetchesBefore = emulator.calls('/cgi-bin/token');
    await redis.kill();
    const longest = await steadyLoad(3000);
    const heapDuring = await heaps();
    expect(longest, 'the longest request while Redis was away, in ms').to.be.below(LONGEST_MS);
    expect(emulator.calls('/cgi-bin/token') - fetchesBefore).to.be.at.most(PROCESSES);
    await redis.start();
    await expectSharedAgain();
    const heapAfter = await heaps();
    const mb = (bytes: number[]) => bytes.map((each) => (each / 2 ** 20).toFixed(1)).join(' / ');
    process.stderr.write(
      `      longest request during the outage ${Math.round(longest)} ms; heap MB per process before ${mb(heapBefore)}, during ${mb(heapDuring)}, after ${mb(heapAfter)}\n`,
    );
    const said = await warnings();
    expect(
      said.some((line) => line.includes('the store failed to read a key')),
      said.join('\n'),
    ).to.equal(true);
    expect(said.some((line) => line.includes('the store answers again'))).to.equal(true);
  });

  it('never up at start: the site serves from WeChat and says why, once per kind of trouble', async () => {
    await start();
    const longest = await steadyLoad(2000);
    process.stderr.write(`      longest request with Redis never up ${Math.round(longest)} ms\n`);
    expect(longest).to.be.below(LONGEST_MS);
    // Each process fetched its own token (no lock to share), once.
    expect(emulator.calls('/cgi-bin/token')).to.be.at.most(PROCESSES);
    const said = await warnings();
    expect(said.some((line) => line.includes('the store failed to read a key'))).to.equal(true);
    const kinds = said.map((line) => /the store failed to (.+?) \(/.exec(line)?.[1]);
    // At most one line per kind of trouble and process: never one per request.
    expect(said.length, said.join('\n')).to.be.at.most(PROCESSES * 4);
    expect(kinds.every((kind) => kind !== undefined)).to.equal(true);
    await redis.start();
    await expectSharedAgain();
  });

  it('paused (it takes connections and commands, and answers nothing): the same', async () => {
    await redis.start();
    await start();
    await steadyLoad(1000);
    redis.pause();
    const longest = await steadyLoad(3000);
    process.stderr.write(`      longest request with Redis paused ${Math.round(longest)} ms\n`);
    expect(longest).to.be.below(LONGEST_MS);
    const said = await warnings();
    expect(
      said.some((line) => line.includes('no answer within 250 ms')),
      said.join('\n'),
    ).to.equal(true);
    redis.resume();
    await expectSharedAgain();
  });
});
