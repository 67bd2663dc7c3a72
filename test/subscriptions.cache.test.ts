/**
 * The store behind `wechat.subscriptions`: "following" is trusted for `statusTtl`, "not following" only for
 * the short `unsubscribedTtl`, push events (`record`/`forget`) win over lookups on their way, the store is
 * shared between instances, and whatever else sits under our key is not trusted. Time is sinon's fake Date,
 * which moves the emulator's clock too.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { type SubscribedUserInfo, type WeChat } from '../lib/index.js';
import { createMemoryStore } from '../lib/store/memory-store.js';
import type { Emulator, EmulatorUser } from '../lib/emulator/index.js';
import { subscriptionKey } from '../lib/store/keys.js';
import { followerInfo } from './support/fixtures.js';
import { createUsers, useWeChat, wechatCalls } from './support/services.js';
import { startHoldingProxy } from './support/tap-proxy.js';

const BATCHGET = '/cgi-bin/user/info/batchget';

/** A follower and a non-follower (a visitor) of the emulator (createUsers: index 0 does not follow). */
function twoUsers(emulator: Emulator): { follower: EmulatorUser; visitor: EmulatorUser } {
  const [visitor, follower] = createUsers(emulator, 2, 'pair');
  return { follower: follower!, visitor: visitor! };
}

/** Looks `openid` up once; true when that took a call to WeChat, false when the store answered. */
async function asks(emulator: Emulator, wechat: WeChat, openid: string): Promise<boolean> {
  const before = wechatCalls(emulator).userInfoCalls;
  await wechat.subscriptions.status(openid);
  return wechatCalls(emulator).userInfoCalls > before;
}

describe('subscriptions: the store', () => {
  const h = useWeChat();
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['Date'], now: Date.now() });
  });
  afterEach(() => clock.restore());

  describe('how long answers are trusted', () => {
    it('a follower is answered from the store for 300 s (statusTtl), and WeChat is asked again after it', async () => {
      const { emulator, wechat } = await h.start();
      const { follower } = twoUsers(emulator);
      const first = await wechat.subscriptions.status(follower.openid);
      clock.tick(299_000);
      const cached = await wechat.subscriptions.status(follower.openid);
      expect(cached).to.deep.equal(first);
      expect(wechatCalls(emulator).userInfoCalls).to.equal(1);
      clock.tick(2_000);
      const fresh = await wechat.subscriptions.status(follower.openid);
      expect(fresh.subscribed).to.be.true;
      expect(fresh.checkedAt).to.be.greaterThan(first.checkedAt);
      expect(wechatCalls(emulator).userInfoCalls).to.equal(2);
    });

    it('a non-follower is trusted for 15 s only (asked again at 16 s), while a follower is still cached at 16 s', async () => {
      const { emulator, wechat } = await h.start();
      const { follower, visitor } = twoUsers(emulator);
      expect(await asks(emulator, wechat, visitor.openid)).to.be.true;
      expect(await asks(emulator, wechat, follower.openid)).to.be.true;
      clock.tick(14_000);
      expect(await asks(emulator, wechat, visitor.openid), 'visitor at 14 s').to.be.false;
      clock.tick(2_000);
      expect(await asks(emulator, wechat, visitor.openid), 'visitor at 16 s').to.be.true;
      expect(await asks(emulator, wechat, follower.openid), 'follower at 16 s').to.be.false;
    });

    it('a visitor who follows is seen as following once the short "not following" TTL has passed', async () => {
      const { emulator, wechat } = await h.start();
      const { visitor } = twoUsers(emulator);
      expect((await wechat.subscriptions.status(visitor.openid)).subscribed).to.be.false;
      await emulator.follow(visitor.openid);
      // No push reached us: the cached "no" stands for its few seconds.
      expect((await wechat.subscriptions.status(visitor.openid)).subscribed).to.be.false;
      clock.tick(16_000);
      expect((await wechat.subscriptions.status(visitor.openid)).subscribed).to.be.true;
    });

    it('custom statusTtl (60 s) and unsubscribedTtl (5 s) are honoured', async () => {
      const { emulator, wechat } = await h.start({ wechat: { statusTtl: 60, unsubscribedTtl: 5 } });
      const { follower, visitor } = twoUsers(emulator);
      await asks(emulator, wechat, follower.openid);
      await asks(emulator, wechat, visitor.openid);
      clock.tick(4_000);
      expect(await asks(emulator, wechat, visitor.openid), 'visitor at 4 s').to.be.false;
      clock.tick(2_000);
      expect(await asks(emulator, wechat, visitor.openid), 'visitor at 6 s').to.be.true;
      clock.tick(53_000);
      expect(await asks(emulator, wechat, follower.openid), 'follower at 59 s').to.be.false;
      clock.tick(2_000);
      expect(await asks(emulator, wechat, follower.openid), 'follower at 61 s').to.be.true;
    });

    it('statusTtl 0 caches no "following" answer: every lookup of a follower asks WeChat', async () => {
      const { emulator, wechat } = await h.start({ wechat: { statusTtl: 0 } });
      const { follower } = twoUsers(emulator);
      for (let round = 0; round < 3; round++) expect(await asks(emulator, wechat, follower.openid), `round ${round}`).to.be.true;
    });
  });

  describe('forget and record (what push events call)', () => {
    it('forget(openid) makes the next lookup ask WeChat', async () => {
      const { emulator, wechat } = await h.start();
      const { follower } = twoUsers(emulator);
      await asks(emulator, wechat, follower.openid);
      expect(await asks(emulator, wechat, follower.openid)).to.be.false;
      await wechat.subscriptions.forget(follower.openid);
      expect(await asks(emulator, wechat, follower.openid)).to.be.true;
    });

    it('record(openid, false) answers "not following" from the store for statusTtl, even for a follower of the emulator', async () => {
      const { emulator, wechat } = await h.start();
      const { follower } = twoUsers(emulator);
      await wechat.subscriptions.record(follower.openid, false);
      const recorded = await wechat.subscriptions.status(follower.openid);
      expect(recorded.subscribed).to.be.false;
      expect(recorded.user).to.deep.equal({ subscribe: 0, openid: follower.openid });
      clock.tick(299_000);
      expect((await wechat.subscriptions.status(follower.openid)).subscribed).to.be.false;
      expect(wechatCalls(emulator).userInfoCalls).to.equal(0);
      clock.tick(2_000);
      expect((await wechat.subscriptions.status(follower.openid)).subscribed).to.be.true;
      expect(wechatCalls(emulator).userInfoCalls).to.equal(1);
    });

    it('record(openid, true) without the user record drops the cached answer: the next lookup asks WeChat', async () => {
      const { emulator, wechat } = await h.start();
      const { follower } = twoUsers(emulator);
      await wechat.subscriptions.record(follower.openid, false);
      await wechat.subscriptions.record(follower.openid, true);
      expect(await asks(emulator, wechat, follower.openid)).to.be.true;
      expect((await wechat.subscriptions.status(follower.openid)).subscribed).to.be.true;
    });

    it('record(openid, true, user) with the full user record answers "following" from the store', async () => {
      const { emulator, wechat } = await h.start();
      // The emulator says this visitor does not follow: a "yes" can only come from the store.
      const { visitor } = twoUsers(emulator);
      const user = followerInfo(visitor.openid) as unknown as SubscribedUserInfo;
      await wechat.subscriptions.record(visitor.openid, true, user);
      const answer = await wechat.subscriptions.status(visitor.openid);
      expect(answer.subscribed).to.be.true;
      expect(answer.user).to.deep.equal(user);
      expect(wechatCalls(emulator).userInfoCalls).to.equal(0);
    });

    it("a push recorded while a lookup is in flight wins: the caller gets WeChat's answer, the store keeps the push's", async () => {
      const { emulator } = await h.start();
      const { follower } = twoUsers(emulator);
      // The proxy holds the batchget until the "unsubscribe" push has been recorded.
      const proxy = await startHoldingProxy(emulator.url, BATCHGET);
      try {
        const wechat = h.another({ apiBaseUrl: proxy.url });
        const lookup = wechat.subscriptions.status(follower.openid);
        await proxy.reached;
        await wechat.subscriptions.record(follower.openid, false);
        // A lookup started after the push must not join the older one on the wire.
        const afterPush = wechat.subscriptions.status(follower.openid);
        proxy.release();
        expect((await lookup).subscribed, 'the caller in flight').to.be.true;
        expect((await afterPush).subscribed, 'a caller after the push').to.be.false;

        const after = await wechat.subscriptions.status(follower.openid);
        expect(after.subscribed, 'the next lookup').to.be.false;
        expect(proxy.seen(BATCHGET)).to.equal(1);
      } finally {
        await proxy.close();
      }
    });
  });

  it('two instances sharing one Keyv store share answers: a lookup by one is answered from the store for the other', async () => {
    const store = createMemoryStore();
    const { emulator, wechat: first } = await h.start({ wechat: { store } });
    const second = h.another({ store });
    const { follower } = twoUsers(emulator);
    const answer = await first.subscriptions.status(follower.openid);
    expect(await second.subscriptions.status(follower.openid)).to.deep.equal(answer);
    expect(wechatCalls(emulator).userInfoCalls).to.equal(1);
  });

  describe("a caller's own maxAge (a route's statusTtl)", () => {
    it('a cached answer younger than maxAge is used; an older one is asked again, and the fresh answer is cached', async () => {
      const { emulator, wechat } = await h.start();
      const { follower } = twoUsers(emulator);
      const first = await wechat.subscriptions.status(follower.openid);
      clock.tick(100_000);
      expect(await wechat.subscriptions.status(follower.openid, { maxAge: 120 })).to.deep.equal(first);
      expect(wechatCalls(emulator).userInfoCalls).to.equal(1);
      const fresh = await wechat.subscriptions.status(follower.openid, { maxAge: 60 });
      expect(fresh.checkedAt).to.equal(Date.now());
      expect(wechatCalls(emulator).userInfoCalls).to.equal(2);
      expect(await wechat.subscriptions.status(follower.openid), 'the fresh answer is the cached one now').to.deep.equal(fresh);
      expect(wechatCalls(emulator).userInfoCalls).to.equal(2);
    });

    it('maxAge 0 always asks WeChat, but callers at the same moment share one call', async () => {
      const { emulator, wechat } = await h.start();
      const { follower } = twoUsers(emulator);
      await wechat.subscriptions.status(follower.openid);
      await wechat.subscriptions.status(follower.openid, { maxAge: 0 });
      expect(wechatCalls(emulator).userInfoCalls).to.equal(2);
      await Promise.all(Array.from({ length: 5 }, () => wechat.subscriptions.status(follower.openid, { maxAge: 0 })));
      expect(wechatCalls(emulator).userInfoCalls).to.equal(3);
    });

    it('a caller that joins a lookup answered from a cache entry older than its maxAge asks WeChat itself', async () => {
      const { emulator, wechat } = await h.start();
      const { follower } = twoUsers(emulator);
      const first = await wechat.subscriptions.status(follower.openid);
      clock.tick(100_000);
      const [lenient, strict] = await Promise.all([
        wechat.subscriptions.status(follower.openid),
        wechat.subscriptions.status(follower.openid, { maxAge: 60 }),
      ]);
      expect(lenient).to.deep.equal(first);
      expect(strict.checkedAt).to.equal(Date.now());
      expect(wechatCalls(emulator).userInfoCalls).to.equal(2);
    });
  });

  describe('what else sits under our key', () => {
    it('a well-formed answer written under the key is trusted (so the junk below lands where lookups read)', async () => {
      const store = createMemoryStore();
      const { emulator, wechat } = await h.start({ wechat: { store } });
      const { visitor } = twoUsers(emulator);
      const user = { subscribe: 1, openid: visitor.openid };
      await store.set(subscriptionKey(emulator.appId, visitor.openid), { subscribed: true, checkedAt: 1, user });
      expect(await wechat.subscriptions.status(visitor.openid)).to.deep.equal({ subscribed: true, checkedAt: 1, user });
      expect(wechatCalls(emulator).userInfoCalls).to.equal(0);
    });

    it("junk under our key (wrong types, missing fields, another openid's answer) is a miss: WeChat is asked", async () => {
      const store = createMemoryStore();
      const { emulator, wechat } = await h.start({ wechat: { store } });
      const { follower, visitor } = twoUsers(emulator);
      // Each would let a visitor who does not follow in, if it were trusted.
      const junk: unknown[] = [
        'true',
        1,
        { subscribed: true },
        { subscribed: 'yes', checkedAt: 1, user: { subscribe: 1, openid: visitor.openid } },
        { subscribed: true, checkedAt: '1', user: { subscribe: 1, openid: visitor.openid } },
        { subscribed: true, checkedAt: 1, user: null },
        { subscribed: true, checkedAt: 1, user: { subscribe: 1, openid: follower.openid } },
        { subscribed: true, checkedAt: 1, user: { subscribe: 0, openid: visitor.openid } },
      ];
      for (const value of junk) {
        await store.set(subscriptionKey(emulator.appId, visitor.openid), value);
        const before = wechatCalls(emulator).userInfoCalls;
        const answer = await wechat.subscriptions.status(visitor.openid);
        expect(answer.subscribed, JSON.stringify(value)).to.be.false;
        expect(wechatCalls(emulator).userInfoCalls, JSON.stringify(value)).to.equal(before + 1);
      }
    });
  });
});
