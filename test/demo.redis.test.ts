/**
 * The demo with REDIS_URL: store, lock and sessions on one Redis, so that several processes serve one site. A
 * visitor who signs in on one process is known to another with no second dance; a session store that cannot be
 * read gives a clear 503 page at once, never a hang, a stack or a crash.
 */
import { randomBytes } from 'node:crypto';
import supertest from 'supertest';
import { expect } from 'chai';
import { SESSION_TIMEOUT_MS } from '../demo/redis.js';
import { useDemo, type DemoUnderTest } from './support/demo.js';
import { requireRedis } from './support/redis.js';
import { OwnRedis, requireRedisServer, sparePort } from './support/redis-server.js';
import { wechatCalls } from './support/services.js';

const SESSION_KEYS = randomBytes(32).toString('hex');
/** A database of its own on the shared Redis, away from the other tests' keys. */
const SHARED_REDIS = 'redis://127.0.0.1:6379/7';

/** The browser's cookies for the demo's server: supertest talks to it on 127.0.0.1, whatever the demo's URL says. */
function cookiesOf(browser: ReturnType<DemoUnderTest['visitor']>): string {
  const { jar } = browser.agent as unknown as { jar: { getCookies(access: object): { toValueString(): string } } };
  return jar.getCookies({ domain: '127.0.0.1', path: '/', secure: false, script: false }).toValueString();
}

function accountOf(first: DemoUnderTest) {
  const { emulator } = first;
  return { WECHAT_APP_ID: emulator.appId, WECHAT_APP_SECRET: emulator.appSecret, WECHAT_API_BASE: emulator.url, WECHAT_OAUTH_BASE: emulator.url };
}

describe('demo: REDIS_URL, for several processes', function () {
  this.timeout(30_000);
  const demos = useDemo();

  describe('on a Redis that answers', () => {
    before(async function () {
      await requireRedis(this, 'demo.redis.test.ts', 'to test the demo on Redis');
    });

    it('a visitor who signs in on one process is recognised by another, which asks WeChat nothing', async () => {
      const first = await demos.start({ env: { REDIS_URL: SHARED_REDIS, SESSION_KEYS } });
      const second = await demos.start({ env: { REDIS_URL: SHARED_REDIS, SESSION_KEYS, ...accountOf(first) } });
      const browser = first.visitor();
      const { page } = await browser.signIn('/page', { nickname: 'Band' });
      expect(page.status).to.equal(200);
      expect(page.text).to.contain('data-concern="true"');
      // The cookie holds only the session's key: the session itself is in Redis.
      const cookie = cookiesOf(browser);
      const value = /demo\.sess=([^;]+)/.exec(cookie)?.[1] ?? '';
      expect(value).to.match(/^[0-9a-f-]{36}$/);
      expect(Buffer.from(value, 'base64').toString()).not.to.include(first.emulator.findUser('Band')!.openid);
      const before = wechatCalls(first.emulator);
      const onSecond = await supertest(second.demo.server).get('/page').set({ Accept: 'text/html', Cookie: cookie }).redirects(0);
      expect(onSecond.status, 'no second dance').to.equal(200);
      expect(onSecond.text).to.contain('data-concern="true"');
      expect(wechatCalls(first.emulator)).to.deep.equal(before);
    });
  });

  describe('when the session store cannot be read', () => {
    let redis: OwnRedis;
    before(function () {
      requireRedisServer(this, 'demo.redis.test.ts');
    });
    beforeEach(async () => {
      redis = new OwnRedis(await sparePort());
      await redis.start();
    });
    afterEach(() => redis.stop());

    for (const outage of ['killed', 'paused'] as const) {
      it(`Redis ${outage}: a signed-in visitor gets the 503 page that says so, soon; anonymous pages still serve`, async () => {
        const demo = await demos.start({ env: { REDIS_URL: redis.url, SESSION_KEYS } });
        const browser = demo.visitor();
        await browser.signIn('/page', { nickname: 'Band' });
        if (outage === 'killed') await redis.kill();
        else redis.pause();
        const started = performance.now();
        const answer = await browser.get('/page');
        // A bound with slack, not a performance claim: the session read gives up after its timeout.
        expect(performance.now() - started).to.be.below(SESSION_TIMEOUT_MS + 2000);
        expect(answer.status).to.equal(503);
        expect(answer.text).to.contain('The session store could not be reached');
        expect(answer.text).not.to.match(/at .+\.ts:\d+/);
        const json = await browser.get('/api/me', { Accept: 'application/json' });
        expect(json.status).to.equal(503);
        expect(json.body).to.deep.include({ error: 'unavailable' });
        expect((await demo.visitor().get('/')).status).to.equal(200);
        expect(demo.log.filter((line) => line.includes(' ! '))).to.deep.equal([]);
        redis.resume();
      });
    }
  });
});
