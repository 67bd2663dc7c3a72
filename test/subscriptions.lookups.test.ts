/**
 * `wechat.subscriptions.status()` against the emulator: lookups coalesce (one token fetch and ≤ 10 batchget
 * calls for a cold burst of 1,000 visitors, one request per openid in flight), one bad openid costs its
 * neighbours nothing, and when WeChat cannot be asked the answer is an error, never a silent "not following".
 */
import { expect } from 'chai';
import { WeChatApiError, WeChatArgumentError, WeChatStatusUnknownError, WeChatUnavailableError, type UnavailableReason } from '../lib/index.js';
import type { Emulator, EmulatorUser, FaultKind } from '../lib/emulator/index.js';
import { HANG_TIMEOUT, rejectionOf } from './support/fixtures.js';
import { createUsers, useWeChat, wechatCalls } from './support/services.js';
import { startHoldingProxy } from './support/tap-proxy.js';

const BATCHGET = '/cgi-bin/user/info/batchget';
const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A follower and a non-follower of the emulator (createUsers: index 0 does not follow). */
function twoUsers(emulator: Emulator): { follower: EmulatorUser; visitor: EmulatorUser } {
  const [visitor, follower] = createUsers(emulator, 2, 'pair');
  return { follower: follower!, visitor: visitor! };
}

describe('subscriptions: lookups coalesce, and fail loudly', () => {
  const h = useWeChat();

  describe('a cold burst of 1,000 distinct visitors', () => {
    for (const [tokenSource, used, unused] of [
      ['classic', '/cgi-bin/token', '/cgi-bin/stable_token'],
      [undefined, '/cgi-bin/stable_token', '/cgi-bin/token'],
    ] as const) {
      it(`${tokenSource ?? 'stable (the default)'}: costs 1 token fetch from ${used} and at most 10 batchget calls, every answer right`, async () => {
        const { emulator, wechat } = await h.start({ wechat: tokenSource === undefined ? {} : { tokenSource } });
        const users = createUsers(emulator, 1000);
        const answers = await Promise.all(users.map((user) => wechat.subscriptions.status(user.openid)));
        answers.forEach((answer, index) => {
          const user = users[index]!;
          expect(answer.subscribed, user.nickname).to.equal(user.subscribed);
          expect(answer.user.openid).to.equal(user.openid);
          expect(answer.checkedAt).to.be.a('number');
        });
        expect(wechatCalls(emulator).tokenFetches).to.equal(1);
        expect(emulator.calls(used)).to.equal(1);
        expect(emulator.calls(unused)).to.equal(0);
        expect(wechatCalls(emulator).userInfoCalls).to.be.at.most(10);
      });
    }
  });

  describe('one request per openid in flight', () => {
    it('50 concurrent lookups of one openid make 1 user-info call and get equal answers', async () => {
      const { emulator, wechat } = await h.start();
      const { follower } = twoUsers(emulator);
      const answers = await Promise.all(Array.from({ length: 50 }, () => wechat.subscriptions.status(follower.openid)));
      expect(wechatCalls(emulator).userInfoCalls).to.equal(1);
      for (const answer of answers) expect(answer).to.deep.equal(answers[0]);
      expect(answers[0]!.subscribed).to.be.true;
    });

    it('a lookup that starts while the batchget for its openid is already on the wire joins it instead of sending another', async () => {
      const { emulator } = await h.start();
      const { follower } = twoUsers(emulator);
      const proxy = await startHoldingProxy(emulator.url, BATCHGET);
      try {
        const wechat = h.another({ apiBaseUrl: proxy.url });
        const first = wechat.subscriptions.status(follower.openid);
        await proxy.reached;
        const later = Array.from({ length: 10 }, () => wechat.subscriptions.status(follower.openid));
        await nextTick();
        proxy.release();
        const answers = await Promise.all([first, ...later]);
        expect(proxy.seen(BATCHGET)).to.equal(1);
        for (const answer of answers) expect(answer.subscribed).to.be.true;
      } finally {
        await proxy.close();
      }
    });
  });

  it('one unknown openid among 99 real visitors: the 99 get their answers, it alone fails with 40003, in ≤ 30 calls', async () => {
    const { emulator, wechat } = await h.start();
    const users = createUsers(emulator, 99);
    // Well-formed (28 characters, the real shape) so that only WeChat can tell it is unknown.
    const unknown = `o${'Q'.repeat(27)}`;
    const openids = users.map((user) => user.openid);
    openids.splice(37, 0, unknown);
    const outcomes = await Promise.allSettled(openids.map((openid) => wechat.subscriptions.status(openid)));

    outcomes.forEach((outcome, index) => {
      if (openids[index] === unknown) return;
      expect(outcome.status, openids[index]).to.equal('fulfilled');
      const user = emulator.findUser(openids[index]!)!;
      expect((outcome as PromiseFulfilledResult<{ subscribed: boolean }>).value.subscribed).to.equal(user.subscribed);
    });
    expect(outcomes[37]!.status).to.equal('rejected');
    const error = (outcomes[37] as PromiseRejectedResult).reason as WeChatStatusUnknownError;
    expect(error).to.be.instanceOf(WeChatStatusUnknownError);
    expect(error.openid).to.equal(unknown);
    expect(error.cause).to.be.instanceOf(WeChatApiError);
    expect((error.cause as WeChatApiError).errcode).to.equal(40003);
    // 40003 fails the whole call, so the batch is halved twice (1 + 2 + 2 calls) and the quarter that holds the
    // bad openid is asked one by one (25 calls). Asking each openid alone would cost 100; giving up would fail all 99.
    expect(emulator.calls(BATCHGET)).to.equal(5);
    expect(emulator.calls('/cgi-bin/user/info')).to.equal(25);
  });

  describe('batchWindow', () => {
    it('with batchWindow 0.05, lookups started in separate ticks within the window share one call', async () => {
      const { emulator, wechat } = await h.start({ wechat: { batchWindow: 0.05 } });
      const users = createUsers(emulator, 3);
      const lookups = [];
      for (const user of users) {
        lookups.push(wechat.subscriptions.status(user.openid));
        await nextTick();
      }
      await Promise.all(lookups);
      expect(wechatCalls(emulator).userInfoCalls).to.equal(1);
    });

    it('with the default window, 3 sequential awaited lookups of different openids make 3 calls', async () => {
      const { emulator, wechat } = await h.start();
      for (const user of createUsers(emulator, 3)) await wechat.subscriptions.status(user.openid);
      expect(wechatCalls(emulator).userInfoCalls).to.equal(3);
    });
  });

  describe('when WeChat cannot be asked', () => {
    const FAULTS: Array<{
      kind: FaultKind;
      cause: typeof WeChatApiError | typeof WeChatUnavailableError;
      errcode?: number;
      reason?: UnavailableReason;
    }> = [
      { kind: 'hang', cause: WeChatUnavailableError, reason: 'timeout' },
      { kind: 'reset', cause: WeChatUnavailableError, reason: 'network' },
      { kind: 'html500', cause: WeChatUnavailableError, reason: 'http_status' },
      { kind: 'quota', cause: WeChatApiError, errcode: 45009 },
      { kind: 'busy', cause: WeChatApiError, errcode: -1 },
    ];
    for (const fault of FAULTS) {
      // A quota error on the token fetch is held for 10 s by design (tokens' own tests), so it is only tried warm.
      for (const tokenCached of fault.kind === 'quota' ? [true] : [true, false]) {
        it(`"${fault.kind}" (${tokenCached ? 'token cached' : 'cold'}): rejects with WeChatStatusUnknownError, never "not following", and caches no failure`, async () => {
          const { emulator, wechat } = await h.start({ wechat: { timeout: fault.kind === 'hang' ? HANG_TIMEOUT : 2 } });
          const { follower } = twoUsers(emulator);
          if (tokenCached) await wechat.tokens.get();
          // More times than the 2 retries: every attempt fails.
          emulator.injectFault('*', fault.kind, 10);

          const error = (await rejectionOf(wechat.subscriptions.status(follower.openid))) as WeChatStatusUnknownError;
          expect(error).to.be.instanceOf(WeChatStatusUnknownError);
          expect(error.status).to.be.at.least(500);
          expect(error.openid).to.equal(follower.openid);
          expect(error.cause).to.be.instanceOf(fault.cause);
          if (fault.errcode !== undefined) expect((error.cause as WeChatApiError).errcode).to.equal(fault.errcode);
          if (fault.reason !== undefined) expect((error.cause as WeChatUnavailableError).reason).to.equal(fault.reason);

          emulator.clearFaults();
          const answer = await wechat.subscriptions.status(follower.openid);
          expect(answer.subscribed).to.be.true;
        });
      }
    }
  });

  it('a malformed openid (empty, with a space, 200 characters, a number) rejects with WeChatArgumentError and calls nothing', async () => {
    const { emulator, wechat } = await h.start();
    for (const openid of ['', 'a b', 'o'.repeat(200), 42 as unknown as string]) {
      const error = await rejectionOf(wechat.subscriptions.status(openid));
      expect(error, String(openid)).to.be.instanceOf(WeChatArgumentError);
    }
    expect(emulator.counters()).to.deep.equal({});
  });

  it('a token refused on the batchget (revoked after it was cached) is renewed once and the lookup succeeds', async () => {
    const { emulator, wechat } = await h.start();
    const { follower } = twoUsers(emulator);
    await wechat.tokens.get();
    expect(emulator.revokeToken()).to.be.at.least(1);
    const answer = await wechat.subscriptions.status(follower.openid);
    expect(answer.subscribed).to.be.true;
    expect(wechatCalls(emulator).tokenFetches).to.equal(2);
    expect(emulator.calls(BATCHGET)).to.equal(2);
  });

  it('{ snapshotUser: true } answers not following without asking WeChat, and caches nothing', async () => {
    const { emulator, wechat } = await h.start();
    const { follower } = twoUsers(emulator);
    const snapshot = await wechat.subscriptions.status(follower.openid, { snapshotUser: true });
    expect(snapshot.subscribed).to.be.false;
    expect(snapshot.snapshotUser).to.be.true;
    expect(snapshot.user.openid).to.equal(follower.openid);
    expect(emulator.counters()).to.deep.equal({});

    // The same openid without the flag: WeChat is asked, and says this real follower follows.
    const real = await wechat.subscriptions.status(follower.openid);
    expect(real.subscribed).to.be.true;
    expect(real.snapshotUser).to.be.undefined;
    expect(wechatCalls(emulator).userInfoCalls).to.equal(1);
  });
});
