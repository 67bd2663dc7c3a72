/**
 * The callback when WeChat's answers at sign-in are unusable: /sns/userinfo failing, an openid of the wrong
 * shape (which, stored, would send the visitor round for ever), and a profile the store has lost.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import { expect } from 'chai';
import { WeChatApiError, WeChatUnavailableError } from '../lib/index.js';
import { profileKey } from '../lib/store/keys.js';
import { echoState, DEDICATED_CALLBACK, useSite } from './support/site.js';
import { echoOf } from './support/answers.js';

const mountMe = {
  mount: (app: import('koa'), wechat: import('../lib/index.js').WeChat) => {
    const router = new Router();
    router.get('/me', wechat.requireSubscription({ scope: 'snsapi_userinfo' }), echoState);
    app.use(wechat.routes());
    app.use(router.routes());
  },
};

/** A WeChat API that answers the code exchange with an openid no request would accept. */
async function startOddExchange(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    response.setHeader('Content-Type', 'text/plain');
    response.end(
      JSON.stringify({
        access_token: 'oauth-token-of-an-odd-answer',
        expires_in: 7200,
        refresh_token: 'refresh-token-odd',
        openid: 'not an openid!',
        scope: 'snsapi_base',
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('callback: unusable answers from WeChat at sign-in', () => {
  const site = useSite(DEDICATED_CALLBACK);

  it('/sns/userinfo failing: a 503 page and the WeChatApiError for the app, and no identity is kept', async () => {
    const s = await site.start(mountMe);
    const browser = s.visitor();
    const start = await browser.get('/me');
    const callback = await browser.authorize(start.headers.location!, { nickname: 'Band' });
    s.emulator.injectFault('/sns/userinfo', 'busy', 10);
    const answer = await browser.callback(callback);
    expect(answer.status).to.equal(503);
    expect(answer.text).to.contain('data-error="wechat_unavailable"').and.not.contain('    at ');
    expect(s.errors).to.have.length(1);
    expect(s.errors[0]).to.be.instanceOf(WeChatApiError).and.include({ errcode: -1, path: '/sns/userinfo' });
    s.emulator.clearFaults();
    const next = await browser.get('/me');
    expect(next.status, 'signed out: off to WeChat again').to.equal(302);
    expect(next.headers.location).to.contain('scope=snsapi_userinfo');
  });

  it('an openid of the wrong shape: a 502 page, never a redirect, and nothing stored', async () => {
    const odd = await startOddExchange();
    try {
      const s = await site.start({ wechat: { apiBaseUrl: odd.url } });
      const browser = s.visitor();
      const start = await browser.get('/page');
      const callback = await browser.authorize(start.headers.location!, { nickname: 'Band' });
      const answer = await browser.callback(callback);
      expect(answer.status).to.equal(502);
      expect(answer.headers.location).to.equal(undefined);
      expect(answer.text).to.contain('data-error="wechat_unavailable"').and.not.contain('not an openid!');
      expect(s.errors[0])
        .to.be.instanceOf(WeChatUnavailableError)
        .and.include({ reason: 'invalid_response', endpoint: 'GET /sns/oauth2/access_token' });
      expect((await browser.get('/page')).status, 'not signed in').to.equal(302);
    } finally {
      await odd.close();
    }
  });

  it('a profile the store has lost: the page still answers, without nickname, and the visitor is not sent round again', async () => {
    const s = await site.start(mountMe);
    const browser = s.visitor();
    const { page } = await browser.signIn('/me', { nickname: 'Band' });
    const before = echoOf(page);
    expect(before.wechatUser!.nickname).to.equal('Band');
    await s.wechat.store.delete(profileKey(s.emulator.appId, before.openid));
    const after = await browser.get('/me');
    expect(after.status).to.equal(200);
    const state = echoOf(after);
    expect(state.isConcern).to.equal(true);
    // What /cgi-bin/user/info says of a follower since 2021: empty placeholders.
    expect(state.wechatUser!.nickname).to.equal('');
    expect(state.wechatUser!.headimgurl).to.equal('');
    expect(before.wechatUser!.headimgurl).to.match(/^https?:/);
  });

  it('junk under the profile key is ignored, not shown', async () => {
    const s = await site.start(mountMe);
    const browser = s.visitor();
    const { page } = await browser.signIn('/me', { nickname: 'Band' });
    const { openid } = echoOf(page);
    for (const junk of ['Band', { nickname: 42, headimgurl: 'x' }, { nickname: '<b>x</b>' }, null]) {
      await s.wechat.store.set(profileKey(s.emulator.appId, openid), junk);
      const state = echoOf(await browser.get('/me'));
      expect(state.wechatUser!.nickname, JSON.stringify(junk)).to.equal('');
      expect(state.wechatUser!.headimgurl, JSON.stringify(junk)).to.equal('');
    }
  });

  it('a unionid from /sns/userinfo is kept with the profile', async () => {
    const s = await site.start({ ...mountMe, emulator: { unionid: true } });
    const browser = s.visitor();
    const { page } = await browser.signIn('/me', { nickname: 'Band' });
    expect(echoOf(page).wechatUser!.unionid).to.be.a('string').and.have.length.greaterThan(10);
  });
});
