/**
 * The gate's flow, against the emulator and a real site: the redirect to WeChat, its redirect_uri, the
 * callback, the contract of `ctx.state`, scopes, the status TTL and `maxAge` (sinon's fake Date, which ages the
 * emulator too), enforce and detect on one app, and `onNotSubscribed`.
 */
import Router from '@koa/router';
import { expect } from 'chai';
import type Koa from 'koa';
import sinon from 'sinon';
import { WeChatOptionsError, type GateOptions, type WeChat } from '../lib/index.js';
import type { Emulator } from '../lib/emulator/index.js';
import { wechatCalls } from './support/services.js';
import { DEDICATED_CALLBACK, echoState, useSite, type Visitor } from './support/site.js';
import { echoOf, type Echo } from './support/answers.js';

const EXCHANGE = '/sns/oauth2/access_token';
const SNS_USERINFO = '/sns/userinfo';

/** The callback, then one gated route per entry that echoes `ctx.state`, on @koa/router. */
function gatedRoutes(gates: Record<string, GateOptions>) {
  return (app: Koa, wechat: WeChat): void => {
    const router = new Router();
    for (const [path, options] of Object.entries(gates)) router.get(path, wechat.requireSubscription(options), echoState);
    app.use(wechat.routes());
    app.use(router.routes());
  };
}

/** The redirect_uri that a redirect to WeChat carries. */
function redirectUriOf(response: { status: number; headers: Record<string, string> }): string | null {
  expect(response.status, 'a redirect to WeChat').to.equal(302);
  return new URL(response.headers.location!).searchParams.get('redirect_uri');
}

/** The visitor's page when it is answered at once, and not through WeChat. */
async function pageOf(browser: Visitor, path: string, headers: Record<string, string> = {}): Promise<Echo> {
  const response = await browser.get(path, headers);
  expect(response.status, `GET ${path}`).to.equal(200);
  return echoOf(response);
}

const userInfoCalls = (emulator: Emulator): number => wechatCalls(emulator).userInfoCalls;

describe('gate: the redirect to WeChat', () => {
  const site = useSite();

  it("sends a page without identity to WeChat with the parameters in WeChat's order, #wechat_redirect last, and no-store", async () => {
    const s = await site.start();
    const response = await s.visitor().get('/page?x=1');
    expect(response.status).to.equal(302);
    expect(response.headers['cache-control']).to.equal('no-store');
    const location = response.headers.location!;
    const state = new URL(location).searchParams.get('state')!;
    expect(state).to.match(/^[A-Za-z0-9]{32,}$/);
    // No dedicated callback path: WeChat returns the visitor to the gated URL itself.
    const callback = encodeURIComponent(`${s.url}/page?x=1`);
    expect(location).to.equal(
      `${s.emulator.url}/connect/oauth2/authorize?appid=${s.emulator.appId}&redirect_uri=${callback}` +
        `&response_type=code&scope=snsapi_base&state=${state}&connect_redirect=1#wechat_redirect`,
    );
  });

  it('makes a new state of 32+ letters and digits for every browser (100 at once, all distinct), and offers the one under way again in the same browser', async () => {
    const s = await site.start();
    const stateOf = (response: { headers: Record<string, string | undefined> }) => new URL(response.headers.location!).searchParams.get('state')!;
    const responses = await Promise.all(Array.from({ length: 100 }, () => s.visitor().get('/page')));
    const states = responses.map(stateOf);
    for (const state of states) expect(state).to.match(/^[A-Za-z0-9]{32,}$/);
    expect(new Set(states).size).to.equal(100);
    // WeChat returns to the URL that sent the visitor, so one state under way serves every page of this browser.
    const sameBrowser = s.visitor();
    const first = stateOf(await sameBrowser.get('/page?n=1'));
    for (const path of ['/page?n=1', '/other', '/page?n=2']) expect(stateOf(await sameBrowser.get(path)), path).to.equal(first);
  });

  it('asks for scope=snsapi_userinfo on a snsapi_userinfo route, and snsapi_base elsewhere', async () => {
    const s = await site.start({ mount: gatedRoutes({ '/profile': { scope: 'snsapi_userinfo' }, '/page': {} }) });
    const browser = s.visitor();
    const scopeOf = async (path: string) => new URL((await browser.get(path)).headers.location!).searchParams.get('scope');
    expect(await scopeOf('/profile')).to.equal('snsapi_userinfo');
    expect(await scopeOf('/page')).to.equal('snsapi_base');
  });
});

describe('gate: the redirect_uri', () => {
  const site = useSite();

  it("is the gated URL itself, without WeChat's own code and state, on publicUrl when given", async () => {
    const plain = await site.start();
    expect(redirectUriOf(await plain.visitor().get('/a/b?x=%41&code=1&y'))).to.equal(`${plain.url}/a/b?x=%41&y`);
    const behindProxy = await site.start({ wechat: { publicUrl: 'https://wx.example.com' }, proxy: true });
    const headers = { 'X-Forwarded-Host': 'other.example' };
    expect(redirectUriOf(await behindProxy.visitor().get('/page?q=1', headers))).to.equal('https://wx.example.com/page?q=1');
  });
});

describe('gate: the redirect_uri of a dedicated callback path', () => {
  const site = useSite(DEDICATED_CALLBACK);
  const forwarded = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'example.com' };
  const spoofedOrigin = { Origin: 'https://evil.example' };

  it('is publicUrl + the callback path when publicUrl is given, whatever the request says', async () => {
    const s = await site.start({ wechat: { publicUrl: 'https://wx.example.com/' }, proxy: true });
    const browser = s.visitor();
    const requests: Array<Record<string, string>> = [{}, { 'X-Forwarded-Proto': 'http', 'X-Forwarded-Host': 'other.example' }, spoofedOrigin];
    for (const headers of requests) {
      expect(redirectUriOf(await browser.get('/page', headers))).to.equal('https://wx.example.com/wechat/callback');
    }
  });

  it('without app.proxy: ctx.protocol://ctx.host, deaf to X-Forwarded-* and to a spoofed Origin', async () => {
    const s = await site.start();
    const browser = s.visitor();
    const expected = `${s.url}/wechat/callback`;
    expect(redirectUriOf(await browser.get('/page'))).to.equal(expected);
    expect(redirectUriOf(await browser.get('/page', forwarded))).to.equal(expected);
    expect(redirectUriOf(await browser.get('/page', spoofedOrigin))).to.equal(expected);
  });

  it('with app.proxy: honours X-Forwarded-Proto and X-Forwarded-Host, and still not a spoofed Origin', async () => {
    const s = await site.start({ proxy: true });
    const browser = s.visitor();
    expect(redirectUriOf(await browser.get('/page', forwarded))).to.equal('https://example.com/wechat/callback');
    expect(redirectUriOf(await browser.get('/page', { ...forwarded, ...spoofedOrigin }))).to.equal('https://example.com/wechat/callback');
    expect(redirectUriOf(await browser.get('/page', spoofedOrigin))).to.equal(`${s.url}/wechat/callback`);
  });

  it('uses a custom callbackPath, and the dance goes through it', async () => {
    const s = await site.start({ wechat: { callbackPath: '/auth/wechat-done' } });
    const browser = s.visitor();
    expect(redirectUriOf(await browser.get('/page'))).to.equal(`${s.url}/auth/wechat-done`);
    const { page, callback } = await browser.signIn('/page', { nickname: 'Band' });
    expect(callback.pathname).to.equal('/auth/wechat-done');
    expect(echoOf(page).isConcern).to.equal(true);
    // The default path is no callback any more: just another gated page.
    expect(echoOf(await browser.get('/wechat/callback?code=x&state=y')).path).to.equal('/wechat/callback');
  });
});

describe('gate: the callback', () => {
  const site = useSite();

  it('exchanges the code and leaves the visitor on the clean return path (no code or state), where ctx.state is set', async () => {
    const s = await site.start();
    const browser = s.visitor();
    const first = await browser.get('/page?tab=2&x=y');
    const callback = await browser.authorize(first.headers.location!, { nickname: 'Band' });
    expect(callback.searchParams.get('code')).to.be.a('string').and.not.equal('');
    const back = await browser.callback(callback);
    expect(back.status).to.equal(302);
    expect(back.headers['cache-control']).to.equal('no-store');
    expect(back.headers.location).to.equal('/page?tab=2&x=y');
    expect(s.emulator.calls(EXCHANGE)).to.equal(1);
    const page = await pageOf(browser, back.headers.location!);
    expect(page.query).to.equal('tab=2&x=y');
    expect(page.openid).to.equal(s.emulator.findUser('Band')!.openid);
  });
});

describe('gate: the contract of ctx.state', () => {
  const site = useSite();

  it('a follower: openid, isConcern true, and wechatUser as /cgi-bin/user/info answers it', async () => {
    const s = await site.start();
    const { page } = await s.visitor().signIn('/page', { nickname: 'Band' });
    const band = s.emulator.findUser('Band')!;
    const state = echoOf(page);
    expect(state.openid).to.be.a('string').and.equal(band.openid);
    expect(state.isConcern).to.equal(true);
    expect(state.wechatUser).to.deep.include({
      openid: band.openid,
      subscribe: 1,
      remark: 'from the original recipe',
      tagid_list: [2],
      subscribe_scene: 'ADD_SCENE_QR_CODE',
      subscribe_time: band.subscribeTime,
    });
  });

  it('a non-follower: isConcern false, and wechatUser { openid, subscribe: 0 } with nothing else of the user', async () => {
    const s = await site.start();
    const { page } = await s.visitor().signIn('/page', { nickname: 'Visitor' });
    const state = echoOf(page);
    expect(state.openid).to.equal(s.emulator.findUser('Visitor')!.openid);
    expect(state.isConcern).to.equal(false);
    expect(state.wechatUser).to.include({ openid: state.openid, subscribe: 0 });
    // WeChat's non-follower answer may carry an empty tagid_list; nothing else.
    expect(Object.keys(state.wechatUser!)).to.satisfy((keys: string[]) => keys.every((key) => ['openid', 'subscribe', 'tagid_list'].includes(key)));
  });

  it('scope snsapi_userinfo adds nickname and headimgurl, from one /sns/userinfo call at sign-in and none per request', async () => {
    const s = await site.start({ mount: gatedRoutes({ '/profile': { scope: 'snsapi_userinfo' } }) });
    const browser = s.visitor();
    const band = s.emulator.findUser('Band')!;
    const { page } = await browser.signIn('/profile', { nickname: 'Band' });
    for (const state of [echoOf(page), await pageOf(browser, '/profile'), await pageOf(browser, '/profile?again')]) {
      expect(state.isConcern).to.equal(true);
      expect(state.wechatUser).to.deep.include({ openid: band.openid, subscribe: 1, remark: 'from the original recipe', nickname: 'Band' });
      expect(state.wechatUser!.headimgurl).to.equal(`${s.emulator.url}/emulator/avatar/${band.openid}/132`);
    }
    expect(s.emulator.calls(SNS_USERINFO)).to.equal(1);

    const { page: stranger } = await s.visitor().signIn('/profile', { nickname: 'Visitor' });
    expect(echoOf(stranger).isConcern).to.equal(false);
    expect(echoOf(stranger).wechatUser).to.include({ subscribe: 0, nickname: 'Visitor' });
    expect(s.emulator.calls(SNS_USERINFO)).to.equal(2);
  });

  it('a snapshot user: isConcern false, wechatUser { openid, subscribe: 0 }, and neither /sns/userinfo nor user info asked', async () => {
    const s = await site.start({ mount: gatedRoutes({ '/profile': { scope: 'snsapi_userinfo' } }) });
    const browser = s.visitor();
    const { page } = await browser.signIn('/profile', { nickname: 'Band', snapshot: true });
    const state = echoOf(page);
    expect(state.openid).to.be.a('string').and.not.equal(s.emulator.findUser('Band')!.openid);
    expect(state.isConcern).to.equal(false);
    expect(state.wechatUser).to.deep.equal({ openid: state.openid, subscribe: 0 });
    expect(echoOf(await browser.get('/profile')).wechatUser).to.deep.equal({ openid: state.openid, subscribe: 0 });
    expect(s.emulator.calls(SNS_USERINFO)).to.equal(0);
    expect(userInfoCalls(s.emulator)).to.equal(0);
  });
});

describe('gate: scopes across routes', () => {
  const site = useSite();
  const mount = gatedRoutes({ '/page': {}, '/profile': { scope: 'snsapi_userinfo' } });

  it('a snsapi_base identity on a snsapi_userinfo route is sent through WeChat again, with scope snsapi_userinfo', async () => {
    const s = await site.start({ mount });
    const browser = s.visitor();
    await browser.signIn('/page', { nickname: 'Band' });
    const again = await browser.get('/profile');
    expect(again.status).to.equal(302);
    expect(new URL(again.headers.location!).searchParams.get('scope')).to.equal('snsapi_userinfo');
    const back = await browser.callback(await browser.authorize(again.headers.location!, { nickname: 'Band' }));
    expect(back.headers.location).to.equal('/profile');
    expect((await pageOf(browser, '/profile')).wechatUser).to.include({ nickname: 'Band' });
    expect(s.emulator.calls(EXCHANGE)).to.equal(2);
  });

  it('a snsapi_userinfo identity serves snsapi_base routes without a new dance', async () => {
    const s = await site.start({ mount });
    const browser = s.visitor();
    const { page } = await browser.signIn('/profile', { nickname: 'Band' });
    const base = await pageOf(browser, '/page');
    expect(base.openid).to.equal(echoOf(page).openid);
    expect(base.isConcern).to.equal(true);
    expect(s.emulator.calls(EXCHANGE)).to.equal(1);
  });
});

describe('gate: the status TTL (fake Date)', () => {
  const site = useSite();
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['Date'], now: Date.now() });
  });
  afterEach(() => clock.restore());

  it('re-checks the status with WeChat after statusTtl, not before, and without a new dance', async () => {
    const s = await site.start({ wechat: { statusTtl: 60 } });
    const browser = s.visitor();
    await browser.signIn('/page', { nickname: 'Band' });
    const asked = userInfoCalls(s.emulator);
    expect(asked).to.equal(1);
    clock.tick(59_000);
    expect((await pageOf(browser, '/page')).isConcern).to.equal(true);
    expect(userInfoCalls(s.emulator), 'at 59 s').to.equal(asked);
    clock.tick(2_000);
    expect((await pageOf(browser, '/page')).isConcern).to.equal(true);
    expect(userInfoCalls(s.emulator), 'at 61 s').to.equal(asked + 1);
    expect(s.emulator.calls(EXCHANGE)).to.equal(1);
  });

  it('sees an unfollow in the emulator after statusTtl, and a follow after unsubscribedTtl, not before', async () => {
    const s = await site.start({ wechat: { statusTtl: 60, unsubscribedTtl: 30 } });
    const browser = s.visitor();
    const { page } = await browser.signIn('/page', { nickname: 'Band' });
    const { openid } = echoOf(page);
    await s.emulator.unfollow(openid);
    expect((await pageOf(browser, '/page')).isConcern, 'just after the unfollow').to.equal(true);
    clock.tick(61_000);
    const unfollowed = await pageOf(browser, '/page');
    expect(unfollowed.isConcern, 'after statusTtl').to.equal(false);
    expect(unfollowed.wechatUser).to.include({ openid, subscribe: 0 });

    await s.emulator.follow(openid);
    clock.tick(29_000);
    expect((await pageOf(browser, '/page')).isConcern, 'before unsubscribedTtl').to.equal(false);
    clock.tick(2_000);
    const followed = await pageOf(browser, '/page');
    expect(followed.isConcern, 'after unsubscribedTtl').to.equal(true);
    expect(followed.wechatUser).to.include({ openid, subscribe: 1 });
    expect(s.emulator.calls(EXCHANGE)).to.equal(1);
  });

  it('a per-route statusMaxAge shorter than the global one re-checks sooner, on that route only', async () => {
    const s = await site.start({ wechat: { statusTtl: 300 }, mount: gatedRoutes({ '/page': {}, '/fresh': { statusMaxAge: 10 } }) });
    const browser = s.visitor();
    await browser.signIn('/page', { nickname: 'Band' });
    expect(userInfoCalls(s.emulator)).to.equal(1);
    await pageOf(browser, '/fresh');
    expect(userInfoCalls(s.emulator), '/fresh within 10 s').to.equal(1);
    clock.tick(11_000);
    await pageOf(browser, '/page');
    expect(userInfoCalls(s.emulator), '/page at 11 s').to.equal(1);
    await pageOf(browser, '/fresh');
    expect(userInfoCalls(s.emulator), '/fresh at 11 s').to.equal(2);
    clock.tick(11_000);
    await pageOf(browser, '/page');
    expect(userInfoCalls(s.emulator), '/page at 22 s').to.equal(2);
    await pageOf(browser, '/fresh');
    expect(userInfoCalls(s.emulator), '/fresh at 22 s').to.equal(3);
  });

  it('refuses at construction a per-route statusMaxAge longer than the global one', async () => {
    const s = await site.start({ wechat: { statusTtl: 300 } });
    expect(() => s.wechat.requireSubscription({ statusMaxAge: 300 })).not.to.throw();
    expect(() => s.wechat.requireSubscription({ statusMaxAge: 301 }))
      .to.throw(WeChatOptionsError, 'at most 300, the statusTtl of the services')
      .with.property('option', 'statusMaxAge');
  });
});

describe('gate: signInMaxAge (fake Date)', () => {
  const site = useSite();
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['Date'], now: Date.now() });
  });
  afterEach(() => clock.restore());

  it('re-authorizes silently after signInMaxAge seconds (302 to WeChat and back to the page), and not before', async () => {
    const s = await site.start({ mount: gatedRoutes({ '/page': { signInMaxAge: 120 }, '/other': {} }) });
    const browser = s.visitor();
    const { page } = await browser.signIn('/page?x=1', { nickname: 'Band' });
    clock.tick(119_000);
    expect((await pageOf(browser, '/page?x=1')).openid).to.equal(echoOf(page).openid);
    expect(s.emulator.calls(EXCHANGE), 'before maxAge').to.equal(1);
    clock.tick(2_000);
    // A route without maxAge keeps the identity.
    await pageOf(browser, '/other');
    const expired = await browser.get('/page?x=1');
    expect(expired.status).to.equal(302);
    expect(expired.headers.location).to.match(/\/connect\/oauth2\/authorize\?.*&scope=snsapi_base&/);
    const back = await browser.callback(await browser.authorize(expired.headers.location!, { nickname: 'Band' }));
    expect(back.headers.location).to.equal('/page?x=1');
    expect((await pageOf(browser, '/page?x=1')).openid).to.equal(echoOf(page).openid);
    expect(s.emulator.calls(EXCHANGE), 'after maxAge').to.equal(2);
  });
});

describe('gate: enforce and detect on one app', () => {
  const site = useSite();
  const siteOptions = { accountName: 'Band & <Friends>', qrCodeUrl: 'https://example.com/qr.png?size=200&v=2' };
  const mount = gatedRoutes({ '/page': {}, '/members': { enforce: true }, '/api/me': {} });

  it('a non-follower gets /page with isConcern false and the escaped 403 follow page on /members; a follower gets both; one token fetch', async () => {
    const s = await site.start({ wechat: siteOptions, mount });
    const stranger = s.visitor();
    const { page } = await stranger.signIn('/page', { nickname: 'Visitor' });
    expect(page.status).to.equal(200);
    expect(echoOf(page).isConcern).to.equal(false);
    const refused = await stranger.get('/members');
    expect(refused.status).to.equal(403);
    expect(refused.type).to.equal('text/html');
    expect(refused.text).to.include('Band &amp; &lt;Friends&gt;');
    expect(refused.text).not.to.include('<Friends>');
    expect(refused.text).to.include('<img class="qr" src="https://example.com/qr.png?size=200&amp;v=2"');
    expect(refused.text).not.to.include('"openid"');
    const api = await pageOf(stranger, '/api/me', { Accept: 'application/json' });
    expect(api.isConcern).to.equal(false);

    const follower = s.visitor();
    const { page: members } = await follower.signIn('/members', { nickname: 'Band' });
    expect(members.status).to.equal(200);
    expect(echoOf(members).isConcern).to.equal(true);
    expect((await pageOf(follower, '/page')).isConcern).to.equal(true);
    expect(wechatCalls(s.emulator).tokenFetches).to.equal(1);
  });
});

describe('gate: onNotSubscribed', () => {
  const site = useSite();

  it('replaces the follow page, and the handler after the gate is not called for a non-follower', async () => {
    let handled = 0;
    const s = await site.start({
      mount: (app, wechat) => {
        const router = new Router();
        const gate = wechat.requireSubscription({
          enforce: true,
          onNotSubscribed: (ctx) => {
            ctx.status = 402;
            ctx.body = { custom: 'follow us first', openid: ctx.state.openid };
          },
        });
        router.get('/members', gate, (ctx) => {
          handled++;
          echoState(ctx);
        });
        app.use(wechat.routes());
        app.use(router.routes());
      },
    });
    const { page } = await s.visitor().signIn('/members', { nickname: 'Visitor' });
    expect(page.status).to.equal(402);
    expect(page.body).to.deep.equal({ custom: 'follow us first', openid: s.emulator.findUser('Visitor')!.openid });
    expect(handled).to.equal(0);
    const { page: follower } = await s.visitor().signIn('/members', { nickname: 'Band' });
    expect(follower.status).to.equal(200);
    expect(handled).to.equal(1);
  });
});
