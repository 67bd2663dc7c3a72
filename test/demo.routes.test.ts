/**
 * The demo's routes over real HTTP, started as `npm start` wires them (startDemo) on its embedded emulator and
 * its demo users: the public home page, /page for a follower, a follower from a search and a non-follower,
 * /members, /api/me, /logout, 404s, an unfollow seen after the status TTL, WeChat failures, escaping, and the
 * log: one line per request, with nothing secret in it or in any answer.
 */
import { expect } from 'chai';
import type { Response } from 'supertest';
import sinon from 'sinon';
import type { Emulator, EmulatorUser } from '../lib/emulator/index.js';
import { expectPage, expectToWeChat } from './support/answers.js';
import { REQUEST_LINE, secretsCrossing, useDemo, type DemoUnderTest } from './support/demo.js';
import { leaksIn } from './support/leak-scan.js';

const JSON_ACCEPT = { Accept: 'application/json' };
const BATCHGET = '/cgi-bin/user/info/batchget';
const STABLE_TOKEN = '/cgi-bin/stable_token';

/** The text of the element marked `data-field="<name>"`, as the page has it (still escaped). */
function fieldOf(html: string, name: string): string | undefined {
  return new RegExp(`data-field="${name}">([^<]*)<`).exec(html)?.[1];
}

/** A Unix time as a Beijing wall-clock date, worked out by hand (UTC+8, no DST), as the page should print it. */
function beijing(unixSeconds: number): string {
  const date = new Date((unixSeconds + 8 * 3600) * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${date.getUTCFullYear()}/${two(date.getUTCMonth() + 1)}/${two(date.getUTCDate())} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())} (UTC+8)`;
}

function userOf(emulator: Emulator, nickname: string): EmulatorUser {
  const user = emulator.findUser(nickname);
  if (user === undefined) throw new Error(`the demo emulator has no ${nickname}`);
  return user;
}

function expectHtml(response: Response, status: number): void {
  expect(response.status, response.text.slice(0, 300)).to.equal(status);
  expect(response.headers['content-type']).to.match(/^text\/html/);
}

/** Exactly one `METHOD /path STATUS N.Nms` line per request the server received, for that request, and no other line. */
function expectOneLinePerRequest(d: DemoUnderTest): void {
  expect(
    d.log.filter((line) => !REQUEST_LINE.test(line)),
    d.log.join('\n'),
  ).to.deep.equal([]);
  expect(
    d.log.map((line) => line.replace(/ \d{3} \d+\.\dms(?: ! .+)?$/, '')),
    d.log.join('\n'),
  ).to.deep.equal(d.received);
}

describe('demo: the home page', () => {
  const demo = useDemo();

  it("is public, and links /page, /members, /api/me and the emulator's console", async () => {
    const d = await demo.start();
    const response = await d.visitor().get('/');
    expectHtml(response, 200);
    for (const href of ['/page', '/members', '/api/me', `${d.emulator.url}/emulator`]) expect(response.text).to.contain(`href="${href}"`);
    expect(response.text).to.contain('示例公众号 Demo Account');
    expect(d.log).to.have.length(1);
    expect(d.log[0]).to.match(/^GET \/ 200 \d+\.\dms$/);
  });
});

describe('demo: /page', () => {
  const demo = useDemo();

  it('a follower (Band) sees the following badge, their openid and the user-info table: Beijing date, scene, remark, tags', async () => {
    const d = await demo.start();
    const band = userOf(d.emulator, 'Band');
    const { page } = await d.visitor().signIn('/page', { nickname: 'Band' });
    expectHtml(page, 200);
    expect(page.text).to.contain('data-concern="true"');
    expect(fieldOf(page.text, 'openid')).to.equal(band.openid);
    expect(fieldOf(page.text, 'isConcern')).to.equal('true');
    expect(fieldOf(page.text, 'subscribe_time')).to.equal(beijing(band.subscribeTime!));
    expect(fieldOf(page.text, 'subscribe_scene')).to.equal('扫描二维码 · Scanned a QR code');
    expect(fieldOf(page.text, 'remark')).to.equal('VIP 读者');
    expect(fieldOf(page.text, 'tagid_list')).to.equal('2, 101');
    expect(page.text).not.to.contain('data-follow-prompt');
    // snsapi_base: no profile, so no nickname and no avatar.
    expect(fieldOf(page.text, 'nickname')).to.equal(undefined);
    expect(page.text).not.to.contain('<img');
    expectOneLinePerRequest(d);
    expect(d.log.map((line) => line.replace(/ \d+\.\dms$/, ''))).to.deep.equal(['GET /page 302', 'GET /page 302', 'GET /page 200']);
  });

  it('a follower who came from a search (Reader): the search label, and — for the empty remark and tags', async () => {
    const d = await demo.start();
    const { page } = await d.visitor().signIn('/page', { nickname: 'Reader' });
    expectHtml(page, 200);
    expect(page.text).to.contain('data-concern="true"');
    expect(fieldOf(page.text, 'openid')).to.equal(userOf(d.emulator, 'Reader').openid);
    expect(fieldOf(page.text, 'subscribe_scene')).to.equal('公众号搜索 · Searched for the account');
    expect(fieldOf(page.text, 'remark')).to.equal('—');
    expect(fieldOf(page.text, 'tagid_list')).to.equal('—');
  });

  it('a non-follower (Visitor) sees not-following and the follow prompt, and no table rows', async () => {
    const d = await demo.start();
    const { page } = await d.visitor().signIn('/page', { nickname: 'Visitor' });
    expectHtml(page, 200);
    expect(page.text).to.contain('data-concern="false"');
    expect(fieldOf(page.text, 'openid')).to.equal(userOf(d.emulator, 'Visitor').openid);
    expect(fieldOf(page.text, 'isConcern')).to.equal('false');
    expect(page.text).to.contain('data-follow-prompt');
    expect(page.text).to.contain('关注 示例公众号 Demo Account');
    expect(page.text).to.contain(`href="${d.emulator.url}/emulator"`);
    expect(fieldOf(page.text, 'subscribe_time')).to.equal(undefined);
  });

  it("without a session, a page request goes to the emulator's authorize page", async () => {
    const d = await demo.start();
    expectToWeChat(await d.visitor().get('/page'), d.emulator);
  });

  it("with WECHAT_SCOPE=snsapi_userinfo: the nickname and the emulator's avatar", async () => {
    const d = await demo.start({ env: { WECHAT_SCOPE: 'snsapi_userinfo' } });
    const browser = d.visitor();
    const first = await browser.get('/page');
    expect(new URL(first.headers.location!).searchParams.get('scope')).to.equal('snsapi_userinfo');
    const { page } = await browser.signIn('/page', { nickname: 'Band', consent: 'allow' });
    expectHtml(page, 200);
    expect(fieldOf(page.text, 'nickname')).to.equal('Band');
    expect(page.text).to.contain(`<img src="${d.emulator.url}/emulator/avatar/${userOf(d.emulator, 'Band').openid}/132" alt="avatar">`);
    expect(fieldOf(page.text, 'remark')).to.equal('VIP 读者');
  });

  it('escapes what WeChat says: a nickname <script>alert(1)</script> is shown as text', async () => {
    const d = await demo.start({ env: { WECHAT_SCOPE: 'snsapi_userinfo' } });
    const nickname = '<script>alert(1)</script>';
    d.emulator.createUser({ nickname, subscribed: true, remark: '<b onmouseover="x">r</b>' });
    const { page } = await d.visitor().signIn('/page', { nickname, consent: 'allow' });
    expectHtml(page, 200);
    expect(fieldOf(page.text, 'nickname')).to.equal('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.text).not.to.contain(nickname);
    expect(page.text).not.to.contain('<b onmouseover');
    expect(page.text).not.to.contain('<script');
  });
});

describe('demo: /members', () => {
  const demo = useDemo();

  it("a non-follower gets the library's 403 follow page, naming the account", async () => {
    const d = await demo.start();
    const { page } = await d.visitor().signIn('/members', { nickname: 'Visitor' });
    expectPage(page, 403, 'wechat_not_subscribed');
    expect(page.text).to.contain('示例公众号 Demo Account');
    // In the demo's own layout (renderPage), with a way home.
    expect(page.text).to.contain('koa-wechat-subscription · demo').and.contain('href="/">首页 · Home</a>');
    expectOneLinePerRequest(d);
    expect(d.log.at(-1)).to.match(/^GET \/members 403 /);
  });

  it('a follower gets the members page', async () => {
    const d = await demo.start();
    const browser = d.visitor();
    await browser.signIn('/page', { nickname: 'Band' });
    const members = await browser.get('/members');
    expectHtml(members, 200);
    expect(members.text).to.contain('会员专区');
    expect(members.text).to.contain('data-concern="true"');
    expect(fieldOf(members.text, 'openid')).to.equal(userOf(d.emulator, 'Band').openid);
  });
});

describe('demo: /api/me', () => {
  const demo = useDemo();

  it('signed in: { openid, isConcern, wechatUser } as JSON', async () => {
    const d = await demo.start();
    const band = userOf(d.emulator, 'Band');
    const browser = d.visitor();
    await browser.signIn('/page', { nickname: 'Band' });
    const me = await browser.get('/api/me', JSON_ACCEPT);
    expect(me.status).to.equal(200);
    expect(me.headers['content-type']).to.match(/^application\/json/);
    expect(Object.keys(me.body as object).sort()).to.deep.equal(['isConcern', 'openid', 'wechatUser']);
    expect(me.body).to.deep.include({ openid: band.openid, isConcern: true });
    expect((me.body as { wechatUser: unknown }).wechatUser).to.deep.include({
      subscribe: 1,
      openid: band.openid,
      remark: 'VIP 读者',
      tagid_list: [2, 101],
      subscribe_scene: 'ADD_SCENE_QR_CODE',
      subscribe_time: band.subscribeTime,
    });
  });

  it("not signed in: the library's 401 JSON with the authorize URL, never a redirect", async () => {
    const d = await demo.start();
    const me = await d.visitor().get('/api/me', JSON_ACCEPT);
    expect(me.status).to.equal(401);
    expect(me.body).to.include({ error: 'wechat_auth_required' });
    const authorizeUrl = (me.body as { authorizeUrl: string }).authorizeUrl;
    expect(authorizeUrl.startsWith(`${d.emulator.url}/connect/oauth2/authorize?`)).to.equal(true);
  });
});

describe('demo: /logout', () => {
  const demo = useDemo();

  it('POST forgets the visitor and goes home with ?signed_out=1', async () => {
    const d = await demo.start();
    const browser = d.visitor();
    await browser.signIn('/page', { nickname: 'Band' });
    expect((await browser.get('/api/me', JSON_ACCEPT)).status).to.equal(200);
    const out = await browser.agent.post('/logout').set('Accept', 'text/html').redirects(0);
    expect(out.status).to.equal(302);
    expect(out.headers.location).to.equal('/?signed_out=1');
    expect((await browser.get('/api/me', JSON_ACCEPT)).status).to.equal(401);
    expectToWeChat(await browser.get('/page'), d.emulator);
    const home = await browser.get('/?signed_out=1');
    expectHtml(home, 200);
    expect(home.text).to.contain('data-signed-out');
    expectOneLinePerRequest(d);
    expect(d.log.some((line) => line.startsWith('POST /logout 302 '))).to.equal(true);
  });

  it("GET (a typed URL, another site's link) only offers the button: the visitor stays signed in", async () => {
    const d = await demo.start();
    const browser = d.visitor();
    await browser.signIn('/page', { nickname: 'Band' });
    const asked = await browser.get('/logout');
    expectHtml(asked, 200);
    expect(asked.text).to.contain('<form method="post" action="/logout">');
    expect((await browser.get('/api/me', JSON_ACCEPT)).status).to.equal(200);
  });
});

describe('demo: a path it does not have', () => {
  const demo = useDemo();

  it('is a 404 page in Chinese and English, and JSON under /api/ whatever the Accept header', async () => {
    const d = await demo.start();
    const browser = d.visitor();
    const page = await browser.get('/no-such-page');
    expectHtml(page, 404);
    expect(page.text).to.contain('data-status="404"').and.contain('这里没有页面').and.contain('There is no page here');
    expect(page.text).to.contain('<link rel="icon" href="data:,">');
    const api = await browser.get('/api/no-such-thing');
    expect(api.status).to.equal(404);
    expect(api.body).to.deep.equal({ error: 'not_found', message: 'There is no page here' });
    const asked = await browser.get('/no-such-page', JSON_ACCEPT);
    expect(asked.status).to.equal(404);
    expect(asked.body).to.include({ error: 'not_found' });
    expectOneLinePerRequest(d);
  });
});

describe('demo: without pushes, an unfollow is seen once the status TTL has passed', () => {
  const demo = useDemo();
  let clock: sinon.SinonFakeTimers | undefined;
  afterEach(() => {
    clock?.restore();
    clock = undefined;
  });

  it('WECHAT_STATUS_TTL=1: following until the cached answer expires, then not following with the follow prompt', async () => {
    const d = await demo.start({ env: { WECHAT_STATUS_TTL: '1' } });
    // The emulator pushes to the demo by default (test/demo.push.test.ts); here it is told no push URL.
    d.emulator.configurePush(undefined);
    // The cache (Keyv) dates its entries with Date: a fake Date ages them without a real wait.
    clock = sinon.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const band = userOf(d.emulator, 'Band');
    const browser = d.visitor();
    expect((await browser.signIn('/page', { nickname: 'Band' })).page.text).to.contain('data-concern="true"');
    await d.emulator.unfollow(band.openid);
    expect((await browser.get('/page')).text, 'still the cached answer').to.contain('data-concern="true"');
    clock.tick(1_001);
    const page = await browser.get('/page');
    expectHtml(page, 200);
    expect(page.text).to.contain('data-concern="false"');
    expect(page.text).to.contain('data-follow-prompt');
    expect(fieldOf(page.text, 'openid')).to.equal(band.openid);
    expect(fieldOf(page.text, 'subscribe_time')).to.equal(undefined);
  });
});

describe('demo: WeChat failing', () => {
  const demo = useDemo();
  const failures = [
    { endpoint: BATCHGET, kind: 'busy' },
    { endpoint: BATCHGET, kind: 'html500' },
    { endpoint: STABLE_TOKEN, kind: 'busy' },
    { endpoint: STABLE_TOKEN, kind: 'html500' },
  ] as const;

  for (const { endpoint, kind } of failures) {
    it(`"${kind}" on ${endpoint} (every retry): /page answers 502/503 "WeChat could not be reached", no stack; then recovers`, async () => {
      const d = await demo.start();
      // The first attempt and the client's two retries.
      d.emulator.injectFault(endpoint, kind, 3);
      const browser = d.visitor();
      const { page } = await browser.signIn('/page', { nickname: 'Band' });
      expect(page.status).to.be.oneOf([502, 503]);
      expectPage(page, page.status, 'wechat_unavailable');
      expect(page.text).to.contain('WeChat could not be reached');
      expect(page.text).not.to.match(/\bat .*\.(ts|js):\d+/);
      expect(d.emulator.calls(endpoint)).to.equal(3);
      d.emulator.clearFaults();
      const again = await browser.get('/page');
      expectHtml(again, 200);
      expect(again.text).to.contain('data-concern="true"');
      // The failed request's own line names what failed for the developer: WeChat's error, not the visitor's openid.
      const failed = d.log.filter((line) => line.includes(' ! '));
      expect(failed, d.log.join('\n')).to.have.length(1);
      expect(failed[0]).to.match(/^GET \/page 50[23] \d+\.\dms ! WeChat(Api|Unavailable)Error ERR_WECHAT_(API|UNAVAILABLE): /);
      expect(failed[0]).not.to.contain(d.emulator.findUser('Band')!.openid);
      expectOneLinePerRequest(d);
    });
  }
});

describe('demo: nothing secret in the log or in any answer', () => {
  const demo = useDemo();

  it('after sign-ins (with a profile), a replayed callback and forced failures: no AppSecret, token or code anywhere', async () => {
    const d = await demo.start({ wire: true, env: { WECHAT_SCOPE: 'snsapi_userinfo' } });
    const { emulator } = d;
    const answers: Response[] = [];
    const codes: string[] = [];

    // A token failure on the first sign-in, then the page once WeChat is back.
    emulator.injectFault(STABLE_TOKEN, 'html500', 3);
    const band = d.visitor();
    const first = await band.signIn('/page', { nickname: 'Band' });
    answers.push(first.page);
    codes.push(first.callback.searchParams.get('code')!);
    expect(first.page.status).to.be.oneOf([502, 503]);
    emulator.clearFaults();
    answers.push(await band.get('/page'), await band.get('/api/me', JSON_ACCEPT), await band.get('/members'));
    expect(answers.at(-1)!.status).to.equal(200);
    // The same callback again: the code is refused, and must not come back in the answer or the log.
    const replay = await band.callback(first.callback);
    answers.push(replay);
    expect(replay.status).to.equal(302);

    // A status failure on another visitor's sign-in, then members and sign-out.
    emulator.injectFault(BATCHGET, 'busy', 3);
    const reader = d.visitor();
    const second = await reader.signIn('/page', { nickname: 'Reader' });
    answers.push(second.page);
    codes.push(second.callback.searchParams.get('code')!);
    expect(second.page.status).to.be.oneOf([502, 503]);
    emulator.clearFaults();
    answers.push(await reader.get('/members'), await reader.agent.post('/logout').redirects(0), await reader.get('/api/me', JSON_ACCEPT));

    const secrets = [...new Set([emulator.appSecret, ...codes, ...secretsCrossing(d.wire!.calls)])];
    // The scan is only as good as what it looks for: the wire carried the global token, the visitors' OAuth and refresh tokens.
    expect(secrets.filter((secret) => secret.startsWith('86_')).length, 'tokens seen on the wire').to.be.at.least(5);
    expect(d.wire!.calls.some((call) => call.url.startsWith('/sns/userinfo?access_token='))).to.equal(true);

    const log = d.log.join('\n');
    expect(leaksIn(log, secrets), log).to.deep.equal([]);
    for (const answer of answers) {
      const text = `${answer.status} ${JSON.stringify(answer.headers)}\n${answer.text}`;
      expect(leaksIn(text, secrets), text.slice(0, 500)).to.deep.equal([]);
    }
    // WeChat's returns to /page (two sign-ins and the replay) were logged without their query.
    expect(d.log.filter((line) => line.startsWith('GET /page '))).to.have.length.at.least(3);
    expect(d.log.filter((line) => line.includes('?'))).to.deep.equal([]);
    expectOneLinePerRequest(d);
  });
});
