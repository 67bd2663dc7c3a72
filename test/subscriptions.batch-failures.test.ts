/**
 * A batchget that fails with 40003 costs at most its lookups plus a constant: after two halvings each openid
 * is asked alone. Regression: halving down to single openids cost 2n−1 calls (199 for 100 disowned openids).
 */
import { expect } from 'chai';
import { WeChatStatusUnknownError } from '../lib/index.js';
import { createUsers, useWeChat } from './support/services.js';

const BATCHGET = '/cgi-bin/user/info/batchget';
const USER_INFO = '/cgi-bin/user/info';

/** A well-formed openid (28 characters, the real shape) that only WeChat can tell is not of this account. */
const disowned = (index: number) => `o${String(index).padStart(27, 'Q')}`;

describe('subscriptions: a failing batch falls back to single calls', () => {
  const h = useWeChat();

  it('100 disowned openids in one batch cost at most 107 calls (was 199), and each fails with 40003', async () => {
    const { emulator, wechat } = await h.start();
    const openids = Array.from({ length: 100 }, (_, index) => disowned(index));
    const outcomes = await Promise.allSettled(openids.map((openid) => wechat.subscriptions.status(openid)));
    for (const outcome of outcomes) {
      expect(outcome.status).to.equal('rejected');
      expect((outcome as PromiseRejectedResult).reason).to.be.instanceOf(WeChatStatusUnknownError);
    }
    // 1 + 2 + 4 batchget calls, then each of the 100 alone.
    expect(emulator.calls(BATCHGET)).to.equal(7);
    expect(emulator.calls(USER_INFO)).to.equal(100);
  });

  it('half disowned, half real: the real ones get their answers, in no more calls than lookups + 7', async () => {
    const { emulator, wechat } = await h.start();
    const users = createUsers(emulator, 50);
    const openids = users.flatMap((user, index) => [user.openid, disowned(index)]);
    const outcomes = await Promise.allSettled(openids.map((openid) => wechat.subscriptions.status(openid)));
    outcomes.forEach((outcome, index) => {
      if (index % 2 === 1) return expect(outcome.status).to.equal('rejected');
      expect(outcome.status).to.equal('fulfilled');
      const answer = (outcome as PromiseFulfilledResult<{ subscribed: boolean }>).value;
      expect(answer.subscribed).to.equal(users[index / 2]!.subscribed);
    });
    expect(emulator.calls(BATCHGET) + emulator.calls(USER_INFO)).to.be.at.most(openids.length + 7);
  });
});
