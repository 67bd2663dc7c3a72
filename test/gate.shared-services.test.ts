/**
 * One set of services per AppID per process: drop-ins for the same AppID share one token, one lock and one
 * cache whatever their gate options, `createWeChat()` with the same options returns those same services, and
 * service options that conflict for one AppID are a WeChatOptionsError at construction. With classic tokens,
 * two caches would retire each other's token (each fetch invalidates the one before).
 *
 * Every drop-in and service made here is closed after its test (`wechat.close()`), so that later tests, whose
 * emulators all use the same AppID, start from nothing.
 */
import { expect } from 'chai';
import { createWeChat, requireSubscription, type RequireSubscriptionOptions, type WeChat } from '../lib/index.js';
import { WeChatOptionsError } from '../lib/errors.js';
import { createMemoryStore } from '../lib/store/memory-store.js';
import { echoOf } from './support/answers.js';
import { browse, describeBrowse, useDropInSite } from './support/drop-in-site.js';
import { echoState } from './support/site.js';

const TOKEN = '/cgi-bin/token';
const CLASSIC = { tokenSource: 'classic' } as const;

describe('gate: drop-ins for one AppID share their services', () => {
  const site = useDropInSite();
  const extra: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const each of extra.splice(0)) await each.close();
  });

  /**
   * /members behind an enforce drop-in, everything else behind a detect drop-in, both classic. A plain path
   * switch, so that this test pins the token count alone (the per-route callback is gate.mounting's).
   */
  const start = () =>
    site.start({
      mount(app, dropIn) {
        const members = dropIn({ ...CLASSIC, enforce: true });
        const news = dropIn({ ...CLASSIC });
        app.use(async (ctx, next) => {
          await (ctx.path.startsWith('/members') ? members : news)(ctx, next);
        });
        app.use(echoState);
      },
    });

  /** The error that constructing a drop-in with `options` throws; a drop-in that was made anyway is closed after the test. */
  function constructionError(options: RequireSubscriptionOptions): unknown {
    try {
      extra.push(requireSubscription(options).wechat);
      return undefined;
    } catch (error) {
      return error;
    }
  }

  it('REGRESSION: two classic drop-ins for one AppID (enforce and detect) make one token fetch between them', async () => {
    const { emulator, visitor } = await start();
    emulator.createUser({ nickname: 'Fan', subscribed: true });
    const band = visitor();
    const onMembers = await browse(band, emulator, '/members', { nickname: 'Band' });
    expect(onMembers.response.status, describeBrowse(onMembers)).to.equal(200);
    const onNews = await browse(band, emulator, '/news', { nickname: 'Band' });
    expect(echoOf(onNews.response).isConcern, describeBrowse(onNews)).to.equal(true);
    // Another follower, first seen on the other drop-in: its lookup needs a token too.
    const fan = await browse(visitor(), emulator, '/news', { nickname: 'Fan' });
    expect(echoOf(fan.response).isConcern, describeBrowse(fan)).to.equal(true);
    expect(emulator.calls(TOKEN), 'token fetches').to.equal(1);
  });

  it("REGRESSION: createWeChat() with the same options returns services that share the drop-ins' token (no new fetch)", async () => {
    const { emulator, visitor, serviceOptions } = await start();
    const browsed = await browse(visitor(), emulator, '/members', { nickname: 'Band' });
    expect(browsed.response.status, describeBrowse(browsed)).to.equal(200);
    expect(emulator.calls(TOKEN)).to.equal(1);
    const wechat: WeChat = createWeChat({ ...serviceOptions, ...CLASSIC });
    extra.push(wechat);
    expect(await wechat.tokens.get()).to.be.a('string');
    expect(emulator.calls(TOKEN), 'token fetches').to.equal(1);
  });

  describe('conflicting service options for one AppID are a WeChatOptionsError at construction', () => {
    /** A site with one drop-in of `options` alive for the emulator's AppID; answers that drop-in's options. */
    async function firstDropIn(options: Partial<RequireSubscriptionOptions>): Promise<RequireSubscriptionOptions> {
      const { serviceOptions } = await site.start({
        mount(app, dropIn) {
          app.use(dropIn(options));
        },
      });
      return { ...serviceOptions, ...options };
    }

    it('REGRESSION: a different appSecret', async () => {
      const first = await firstDropIn(CLASSIC);
      const error = constructionError({ ...first, appSecret: 'f0e1d2c3b4a5968778695a4b3c2d1e0f' });
      expect(error).to.be.instanceOf(WeChatOptionsError);
      expect((error as Error).message, "the conflict, not the secret's shape").to.match(/appid/i);
    });

    it('REGRESSION: a different store instance (the same instance, with other gate options, is no conflict)', async () => {
      const first = await firstDropIn({ ...CLASSIC, store: createMemoryStore() });
      expect(constructionError({ ...first, enforce: true }), 'the same store').to.equal(undefined);
      expect(constructionError({ ...first, store: createMemoryStore() }), 'another store').to.be.instanceOf(WeChatOptionsError);
    });

    it('REGRESSION: a different tokenSource', async () => {
      const first = await firstDropIn(CLASSIC);
      expect(constructionError({ ...first, tokenSource: 'stable' })).to.be.instanceOf(WeChatOptionsError);
    });
  });
});
