/**
 * Several services sharing one Redis store and one lock, as separate processes of one deployment would: one
 * token fetch between them, a token cached by one is used by the others, a renewal by one is adopted by the
 * others, and subscription statuses are shared. Needs Redis on 127.0.0.1:6379: under CI=true its absence fails
 * the suite (.ci/run starts one); elsewhere the suite is skipped, loudly.
 */
import { randomUUID } from 'node:crypto';
import KeyvRedis from '@keyv/redis';
import { expect } from 'chai';
import { Keyv } from 'keyv';
import { type WeChat } from '../lib/index.js';
import { MemoryLock } from '../lib/tokens/lock.js';
import { REDIS_URL, requireRedis } from './support/redis.js';
import { useWeChat } from './support/services.js';

/** The lock of the tests, counting its holders: proof that the services take the lock they were given. */
class CountingLock extends MemoryLock {
  acquired = 0;
  override acquire(key: string, ttl: number) {
    this.acquired += 1;
    return super.acquire(key, ttl);
  }
}

describe('tokens and statuses shared through Redis', function () {
  before(async function () {
    await requireRedis(this, 'tokens.redis.test.ts', 'to test tokens shared between processes');
  });

  const h = useWeChat();
  let store: Keyv | undefined;
  // Registered after useWeChat's: the services are closed first, then the store is emptied and disconnected.
  afterEach(async () => {
    await store?.clear();
    await store?.disconnect();
    store = undefined;
  });

  /** `count` services on one emulator, each standing for a process, sharing one store (a fresh namespace) and one lock. */
  async function processes(count: number, tokenSource: 'classic' | 'stable' = 'classic') {
    store = new Keyv(new KeyvRedis(REDIS_URL), { namespace: `kws-test-${randomUUID()}` });
    const shared = { store, lock: new CountingLock(), tokenSource };
    const { emulator, wechat } = await h.start({ wechat: shared });
    const services: WeChat[] = [wechat, ...Array.from({ length: count - 1 }, () => h.another(shared))];
    return { emulator, services, lock: shared.lock };
  }

  for (const count of [2, 5]) {
    it(`${count} processes asking at once make exactly 1 classic token fetch, and all get the same token`, async () => {
      const { emulator, services, lock } = await processes(count);
      const tokens = await Promise.all(services.flatMap((wechat) => [wechat.tokens.get(), wechat.tokens.get(), wechat.tokens.get()]));
      expect(emulator.calls('/cgi-bin/token')).to.equal(1);
      expect(new Set(tokens).size).to.equal(1);
      // Each process took the shared lock once (its own callers shared one flight); the first one fetched.
      expect(lock.acquired).to.equal(count);
    });
  }

  it('a token cached by one process is used by another with no fetch, and it is in Redis', async () => {
    const { emulator, services } = await processes(2);
    const [first, second] = services as [WeChat, WeChat];
    const accessToken = await first.tokens.get();
    expect(await second.tokens.get()).to.equal(accessToken);
    expect(emulator.calls('/cgi-bin/token')).to.equal(1);
    const stored = await store!.get<{ accessToken: string }>(`koa-wechat-subscription:${emulator.appId}:token:classic`);
    expect(stored?.accessToken).to.equal(accessToken);
  });

  it('a renewal by one process is adopted by the other’s renew(oldToken) without a second fetch', async () => {
    const { emulator, services } = await processes(2);
    const [first, second] = services as [WeChat, WeChat];
    const oldToken = await first.tokens.get();
    expect(await second.tokens.get()).to.equal(oldToken);
    emulator.revokeToken();
    const renewed = await first.tokens.renew(oldToken);
    expect(renewed).not.to.equal(oldToken);
    expect(await second.tokens.renew(oldToken)).to.equal(renewed);
    expect(emulator.calls('/cgi-bin/token')).to.equal(2);
    // The adopted token is the live one: WeChat accepts it.
    expect((await second.subscriptions.status(emulator.findUser('Band')!.openid)).subscribed).to.equal(true);
    expect(emulator.calls('/cgi-bin/token')).to.equal(2);
  });

  it('many processes renewing the same refused token at once fetch one new token between them', async () => {
    const { emulator, services } = await processes(5);
    const oldToken = await services[0]!.tokens.get();
    await Promise.all(services.map((wechat) => wechat.tokens.get()));
    emulator.revokeToken();
    const renewed = await Promise.all(services.map((wechat) => wechat.tokens.renew(oldToken)));
    expect(new Set(renewed).size).to.equal(1);
    expect(renewed[0]).not.to.equal(oldToken);
    expect(emulator.calls('/cgi-bin/token')).to.equal(2);
  });

  it('a status looked up or recorded by one process is answered by another without asking WeChat', async () => {
    const { emulator, services } = await processes(2, 'stable');
    const [first, second] = services as [WeChat, WeChat];
    const band = emulator.findUser('Band')!.openid;
    const looked = await first.subscriptions.status(band);
    expect(await second.subscriptions.status(band)).to.deep.equal(looked);
    expect(emulator.calls('/cgi-bin/user/info/batchget')).to.equal(1);
    // An unfollow push handled by one process is what the other answers next.
    await first.subscriptions.record(band, false);
    expect((await second.subscriptions.status(band)).subscribed).to.equal(false);
    expect(emulator.calls('/cgi-bin/user/info/batchget')).to.equal(1);
    expect(emulator.calls('/cgi-bin/stable_token')).to.equal(1);
  });
});
