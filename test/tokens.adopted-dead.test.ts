/**
 * A refused token is not retried with an adopted token that is just as dead. Regression: after a forced expiry
 * across a deployment whose processes held different tokens (each fetched its own while the shared lock was
 * away), each process that saw 42001 adopted another's token from the store, already dead too, and spent its
 * one retry on it: 200–600 of 800 lookups failed with 503.
 */
import { expect } from 'chai';
import { createMemoryStore } from '../lib/store/memory-store.js';
import { MemoryLock } from '../lib/tokens/lock.js';
import { useWeChat } from './support/services.js';

describe('tokens: a retry never rides on an adopted token that is as dead as the refused one', () => {
  const h = useWeChat();

  async function twoProcessesWithTheirOwnTokens() {
    const store = createMemoryStore();
    // Each its own lock: as when the shared lock could not be asked, so that each process fetched its own token.
    const { emulator, wechat: first } = await h.start({ wechat: { store, lock: new MemoryLock(), tokenSource: 'classic' } });
    const second = h.another({ store, lock: new MemoryLock(), tokenSource: 'classic' });
    const firstToken = await first.tokens.get();
    // The second one renews past the first's token: the store now holds the second's, the first keeps its own.
    const secondToken = await second.tokens.renew(firstToken);
    expect(secondToken).not.to.equal(firstToken);
    expect(await first.tokens.get()).to.equal(firstToken);
    return { emulator, first, second };
  }

  it('after a forced expiry, a process whose token was refused fetches a live one instead of failing on the stored, dead one', async () => {
    const { emulator, first } = await twoProcessesWithTheirOwnTokens();
    const fetches = emulator.calls('/cgi-bin/token');
    // Every token ends at once (42001), the stored one too.
    emulator.advanceClock(7200);
    const band = emulator.findUser('Band')!.openid;
    expect((await first.subscriptions.status(band)).subscribed).to.equal(true);
    expect(emulator.calls('/cgi-bin/token') - fetches).to.equal(1);
  });
});
