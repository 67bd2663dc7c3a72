/**
 * Two processes of one deployment (two Koa sites, each with its own createWeChat) sharing a Redis store and
 * the session keys: a visitor who signed in on one is known to the other without a new dance, with one token
 * fetch and one lookup between them, and a push event recorded by one is what the other answers next.
 */
import { randomUUID } from 'node:crypto';
import KeyvRedis from '@keyv/redis';
import Router from '@koa/router';
import { expect } from 'chai';
import { Keyv } from 'keyv';
import supertest from 'supertest';
import type { WeChat } from '../lib/index.js';
import { echoOf } from './support/answers.js';
import { REDIS_URL, requireRedis } from './support/redis.js';
import { wechatCalls } from './support/services.js';
import { echoState, useSite, type Site } from './support/site.js';

describe('middleware: two processes sharing Redis', function () {
  before(async function () {
    await requireRedis(this, 'middleware.redis.test.ts', 'to test the middleware across processes');
  });

  const site = useSite();
  let store: Keyv | undefined;
  afterEach(async () => {
    await store?.clear();
    await store?.disconnect();
    store = undefined;
  });

  const mount = (app: import('koa'), wechat: WeChat) => {
    const router = new Router();
    router.get('/page', wechat.requireSubscription(), echoState);
    router.get('/me', wechat.requireSubscription({ scope: 'snsapi_userinfo' }), echoState);
    app.use(wechat.routes());
    app.use(router.routes());
  };

  async function twoProcesses(): Promise<[Site, Site]> {
    store = new Keyv(new KeyvRedis(REDIS_URL), { namespace: `kws-test-${randomUUID()}` });
    const first = await site.start({ wechat: { store }, mount });
    const second = await site.start({ on: first.emulator, wechat: { store }, mount });
    return [first, second];
  }

  it('a visitor signed in on one is known to the other: no dance, the shared status and profile, one token fetch and one lookup', async () => {
    const [a, b] = await twoProcesses();
    const browser = a.visitor();
    const { page } = await browser.signIn('/me', { nickname: 'Band' });
    expect(echoOf(page)).to.include({ isConcern: true });
    const onB = await supertest(b.server).get('/me').set({ Accept: 'text/html', Cookie: browser.cookieHeader() });
    expect(onB.status, 'no new dance on the other process').to.equal(200);
    expect(echoOf(onB).openid).to.equal(echoOf(page).openid);
    expect(echoOf(onB).wechatUser).to.include({ nickname: 'Band', subscribe: 1 });
    expect(wechatCalls(a.emulator)).to.deep.equal({ tokenFetches: 1, userInfoCalls: 1 });
    expect(a.emulator.calls('/sns/userinfo')).to.equal(1);
  });

  it('an unfollow recorded by one process (its push endpoint) is what the other answers next', async () => {
    const [a, b] = await twoProcesses();
    const browser = a.visitor();
    const { page } = await browser.signIn('/page', { nickname: 'Band' });
    await b.wechat.subscriptions.record(echoOf(page).openid, false);
    const again = await browser.get('/page');
    expect(echoOf(again).isConcern).to.equal(false);
    expect(wechatCalls(a.emulator).userInfoCalls, 'answered from the shared store').to.equal(1);
  });
});
