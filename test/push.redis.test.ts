/**
 * Pushes in a deployment of two processes on one Redis: a push delivered to one changes what the other answers
 * next, and WeChat's retry of the same push, sent to the other process, is deduped there (`SET NX` in Redis).
 * A race is pinned too: a lookup under way in one process when the other records a push must not overwrite it.
 */
import { randomUUID } from 'node:crypto';
import KeyvRedis from '@keyv/redis';
import { expect } from 'chai';
import { Keyv } from 'keyv';
import sinon from 'sinon';
import supertest from 'supertest';
import type { WeChatPush } from '../lib/index.js';
import { CacheStore } from '../lib/store/cache-store.js';
import { Scenes } from '../lib/store/scenes.js';
import { echoOf } from './support/answers.js';
import { AES_KEY, eventXml, PUSH_TOKEN, signedPush } from './support/push-client.js';
import { REDIS_URL, requireRedis } from './support/redis.js';
import { wechatCalls } from './support/services.js';
import { useSite, type Site } from './support/site.js';

const APP_ID = 'wxb11529c136998cb6';

describe('push: two processes sharing Redis', function () {
  before(async function () {
    await requireRedis(this, 'push.redis.test.ts', 'to test pushes across processes');
  });

  const site = useSite();
  let store: Keyv | undefined;
  afterEach(async () => {
    sinon.restore();
    await store?.clear();
    await store?.disconnect();
    store = undefined;
  });

  async function twoProcesses(seen: WeChatPush[][]): Promise<[Site, Site]> {
    store = new Keyv(new KeyvRedis(REDIS_URL), { namespace: `kws-test-${randomUUID()}` });
    const push = (index: number) => ({ token: PUSH_TOKEN, encodingAESKey: AES_KEY, onEvent: (event: WeChatPush) => void seen[index]!.push(event) });
    const first = await site.start({ emulator: { appId: APP_ID }, wechat: { store, push: push(0) } });
    const second = await site.start({ on: first.emulator, wechat: { store, push: push(1) } });
    return [first, second];
  }

  it('an unfollow pushed to one is what the other answers next, with no user-info call; after a follow the other says isConcern true', async () => {
    const seen: WeChatPush[][] = [[], []];
    const [a, b] = await twoProcesses(seen);
    a.emulator.configurePush({ url: `${a.url}/wechat/events`, token: PUSH_TOKEN, encodingAESKey: AES_KEY });
    const browser = a.visitor();
    const { page } = await browser.signIn('/page', { nickname: 'Band' });
    expect(echoOf(page).isConcern).to.equal(true);
    const onB = () => supertest(b.server).get('/page').set({ Accept: 'text/html', Cookie: browser.cookieHeader() });

    const calls = wechatCalls(a.emulator).userInfoCalls;
    expect((await a.emulator.unfollow(echoOf(page).openid)).push!.outcome).to.equal('delivered');
    expect(echoOf(await onB()).isConcern).to.equal(false);
    expect(wechatCalls(a.emulator).userInfoCalls).to.equal(calls);

    expect((await a.emulator.follow(echoOf(page).openid)).push!.outcome).to.equal('delivered');
    expect(echoOf(await onB()).isConcern).to.equal(true);
    expect(seen.map((each) => each.length)).to.deep.equal([2, 0]);
  });

  it("WeChat's retry of one push, sent to the other process, is answered success and handled once", async () => {
    const seen: WeChatPush[][] = [[], []];
    const [a, b] = await twoProcesses(seen);
    const band = a.emulator.findUser('Band')!.openid;
    const signed = signedPush({ mode: 'safe', appId: APP_ID, xml: eventXml(band, 'unsubscribe') });
    const send = (to: Site) => supertest(to.server).post(`/wechat/events?${signed.query}`).type('text/xml').send(signed.body);
    const answers = [await send(a), await send(b), await send(a)];
    expect(answers.map((answer) => answer.text)).to.deep.equal(['success', 'success', 'success']);
    expect(seen.map((each) => each.length)).to.deep.equal([1, 0]);
    // The dedupe is Redis's SET NX, under the store's namespace and never with the openid in the key.
    const client = await (store!.store as KeyvRedis<unknown>).getClient();
    const keys = await client.keys(`koa-wechat-subscription-push:${store!.namespace}:*`);
    expect(keys).to.have.length(1);
    expect(keys[0]).not.to.include(band);
  });

  it('a lookup under way in one process when the other records an unfollow does not overwrite it with its older answer', async () => {
    const seen: WeChatPush[][] = [[], []];
    const [a, b] = await twoProcesses(seen);
    const band = a.emulator.findUser('Band')!.openid;
    // A's lookup has WeChat's answer (following) in hand, but not yet stored, while B records the unfollow push.
    let answered: () => void = () => {};
    const atWeChat = new Promise<void>((resolve) => (answered = resolve));
    let letGo: () => void = () => {};
    const held = new Promise<void>((resolve) => (letGo = resolve));
    const client = a.wechat.client;
    for (const method of ['fetchUserInfo', 'fetchUserInfoBatch'] as const) {
      const real = client[method].bind(client) as (...args: unknown[]) => Promise<unknown>;
      (sinon.stub(client, method) as sinon.SinonStub).callsFake(async (...args: unknown[]) => {
        const answer = await real(...args);
        answered();
        await held;
        return answer;
      });
    }
    const lookup = a.wechat.subscriptions.status(band);
    await atWeChat;
    const signed = signedPush({ mode: 'safe', appId: APP_ID, xml: eventXml(band, 'unsubscribe') });
    expect((await supertest(b.server).post(`/wechat/events?${signed.query}`).type('text/xml').send(signed.body)).text).to.equal('success');
    letGo();
    const lookedUp = await lookup;
    expect(lookedUp.subscribed, 'the lookup under way answers what it was told, or the push').to.be.a('boolean');
    expect(lookedUp.subscribed, 'it found the push when it re-read the store, and answers it').to.equal(false);
    const calls = wechatCalls(a.emulator).userInfoCalls;
    expect((await a.wechat.subscriptions.status(band)).subscribed, 'the push wins over the lookup that began before it').to.equal(false);
    expect((await b.wechat.subscriptions.status(band)).subscribed).to.equal(false);
    expect(wechatCalls(a.emulator).userInfoCalls).to.equal(calls);
  });

  it('a follow or scan through a parametric QR code pushed to one process: the other reads who came, by scene', async () => {
    const seen: WeChatPush[][] = [[], []];
    const [a, b] = await twoProcesses(seen);
    const band = a.emulator.findUser('Band')!.openid;
    const visitor = a.emulator.findUser('Visitor')!.openid;
    for (const [openid, event, key] of [
      [band, 'SCAN', 'scene-of-band'],
      [visitor, 'subscribe', 'qrscene_scene-of-visitor'],
    ] as const) {
      const signed = signedPush({
        mode: 'safe',
        appId: APP_ID,
        xml: eventXml(openid, event, { EventKey: key, Ticket: 'gQH47joAAAAAAAAAASxodHRw' }, 1_800_000_000),
      });
      expect((await supertest(a.server).post(`/wechat/events?${signed.query}`).type('text/xml').send(signed.body)).text).to.equal('success');
    }
    const scenesOnB = new Scenes(new CacheStore(b.wechat.store, { warn: () => {} }, 250), APP_ID);
    expect(await scenesOnB.read('scene-of-band')).to.deep.equal({ openid: band, event: 'SCAN', createTime: 1_800_000_000 });
    expect(await scenesOnB.read('scene-of-visitor')).to.deep.equal({ openid: visitor, event: 'subscribe', createTime: 1_800_000_000 });
    expect(await scenesOnB.read('qrscene_scene-of-visitor')).to.equal(undefined);
    // The scene is a bearer secret of the page that showed it: not in a key in the clear.
    const client = await (store!.store as KeyvRedis<unknown>).getClient();
    expect(await client.keys('*scene-of-*')).to.deep.equal([]);
  });
});
