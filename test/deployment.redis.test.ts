/**
 * Four real worker processes of one deployment on one Redis, against an emulator that answers in about 100 ms
 * as WeChat does: one token fetch for a cold burst, one refresh for an expiry forced under load, and a
 * subscription status looked up by one process answered by the others.
 *
 * Regressions: with the Redis store of the README and no shared lock, a cold burst over four processes made
 * 2–4 classic token fetches (each retiring the token the others held), and a forced expiry made as many
 * refreshes, with lookups failing on adopted tokens that were already dead.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { startEmulator, type Emulator, type EmulatorUser } from '../lib/emulator/index.js';
import { REDIS_URL, requireRedis } from './support/redis.js';
import { createUsers, wechatCalls } from './support/services.js';
import { startWorkers, type LookupAnswer, type Worker } from './support/workers.js';

const PROCESSES = 4;
const PER_PROCESS = 250;

describe('a deployment of 4 processes on one Redis (classic tokens, WeChat answering in ~100 ms)', function () {
  this.timeout(60_000);
  before(async function () {
    await requireRedis(this, 'deployment.redis.test.ts', 'to test four processes of one deployment');
  });

  let emulator: Emulator;
  let workers: Worker[] = [];
  let users: EmulatorUser[];

  beforeEach(async () => {
    emulator = await startEmulator({ latency: 0.1, tokenOverlap: 0 });
    users = createUsers(emulator, PROCESSES * PER_PROCESS * 2);
    workers = await startWorkers(PROCESSES, {
      redisUrl: REDIS_URL,
      namespace: `kws-test-${randomUUID()}`,
      emulatorUrl: emulator.url,
      appId: emulator.appId,
      appSecret: emulator.appSecret,
      tokenSource: 'classic',
    });
  });

  afterEach(async () => {
    await Promise.all(workers.map((worker) => worker.close()));
    await emulator.close();
  });

  /** Each process asks about its own `PER_PROCESS` openids of `round`, all at once. */
  async function burst(round: number, during?: () => void): Promise<LookupAnswer[][]> {
    const asked = workers.map((worker, index) => {
      const start = (round * PROCESSES + index) * PER_PROCESS;
      return worker.ask({ type: 'lookups', openids: users.slice(start, start + PER_PROCESS).map((user) => user.openid) });
    });
    during?.();
    return (await Promise.all(asked)).map((answer) => answer.answers!);
  }

  function expectRight(answers: LookupAnswer[][]): void {
    for (const answer of answers.flat())
      expect(answer, answer.openid).to.deep.equal({ openid: answer.openid, subscribed: emulator.findUser(answer.openid)!.subscribed });
  }

  it('a cold burst of 4 × 250 distinct lookups makes exactly 1 token fetch, and at most 3 + 1 user-info calls per process', async () => {
    const answers = await burst(0);
    expectRight(answers);
    expect(emulator.calls('/cgi-bin/token')).to.equal(1);
    // 250 lookups at once fill batches of 100, 100 and 50 in each process: ⌈250/100⌉ calls, + 1 for a lookup
    // that arrives while a batch is on the wire. The emulator counts all processes together.
    expect(wechatCalls(emulator).userInfoCalls).to.be.at.most(PROCESSES * (Math.ceil(PER_PROCESS / 100) + 1));
  });

  it('a token expiry forced under load makes exactly 1 refresh, and every lookup is answered right', async () => {
    expectRight(await burst(0));
    expect(emulator.calls('/cgi-bin/token')).to.equal(1);
    // The calls of the next burst are on the wire (WeChat checks the token as it answers) when the token expires.
    const answers = await burst(1, () => void sleep(30).then(() => emulator.advanceClock(7200)));
    expectRight(answers);
    expect(emulator.calls('/cgi-bin/token')).to.equal(2);
  });

  it('a status looked up by one process is answered by the other three from Redis, with no call to WeChat', async () => {
    const openids = users.slice(0, 50).map((user) => user.openid);
    await workers[0]!.ask({ type: 'lookups', openids });
    const before = wechatCalls(emulator);
    const answers = await Promise.all(workers.slice(1).map((worker) => worker.ask({ type: 'lookups', openids })));
    expectRight(answers.map((answer) => answer.answers!));
    expect(wechatCalls(emulator)).to.deep.equal(before);
  });
});
