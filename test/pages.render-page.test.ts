/**
 * The pages the library answers itself: a site's `renderPage(ctx, page)` renders each of them (400, 401, 403,
 * 502/503, open in WeChat) with its own template, given the kind, status and safe text, while the status, the
 * no-store header and the JSON answers stay the library's; the built-in pages have a way home (mount-aware)
 * and ask for no favicon.
 */
import Router from '@koa/router';
import { expect } from 'chai';
import mount from 'koa-mount';
import { WeChatOptionsError, type WeChatPage } from '../lib/index.js';
import { expectPage } from './support/answers.js';
import { KOA_UNDER_TEST } from './support/koa-under-test.js';
import { echoState, useSite, type Site } from './support/site.js';

const DESKTOP_UA = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0';
/** WeChat's return with a state this browser never started. */
const FOREIGN_RETURN = '/page?code=abc&state=NotStartedInThisBrowser1234';

/** A site whose renderPage records every page and answers it as the site's own markup (a template engine's 200 included). */
function recordingSite(site: ReturnType<typeof useSite>, rendered: WeChatPage[], extra: Parameters<typeof site.start>[0] = {}): Promise<Site> {
  return site.start({
    ...extra,
    wechat: {
      ...extra.wechat,
      renderPage(ctx, page) {
        rendered.push(page);
        ctx.status = 200; // as a template engine that sets its own status would
        ctx.type = 'html';
        ctx.body = `<main class="brand" data-kind="${page.kind}">${page.title.en} ${page.status}</main>`;
      },
    },
    mount(app, wechat) {
      const router = new Router();
      router.get('/page', wechat.requireSubscription(), echoState);
      router.get('/members', wechat.requireSubscription({ enforce: true }), echoState);
      router.post('/comments', wechat.requireSubscription(), echoState);
      app.use(router.routes());
    },
  });
}

/** The site's page went out with the library's status and no-store, and renderPage saw that kind. */
function expectBranded(response: { status: number; text: string; headers: Record<string, string> }, kind: string, status: number): void {
  expect(response.status, response.text.slice(0, 200)).to.equal(status);
  expect(response.text).to.include(`class="brand" data-kind="${kind}"`);
  expect(response.headers['cache-control']).to.equal('no-store');
}

describe('pages: renderPage(ctx, page) renders every page the library answers', () => {
  const site = useSite();

  it('the 403 follow page: kind notSubscribed, the status, the texts, the account to follow and the way home', async () => {
    const rendered: WeChatPage[] = [];
    const s = await recordingSite(site, rendered, { wechat: { accountName: '示例公众号', qrCodeUrl: 'https://example.com/qr.jpg' } });
    const { page } = await s.visitor().signIn('/members', { nickname: 'Visitor' });
    expectBranded(page, 'notSubscribed', 403);
    expect(rendered).to.have.length(1);
    expect(rendered[0]).to.deep.include({ kind: 'notSubscribed', status: 403, error: 'wechat_not_subscribed', home: '/', action: undefined });
    expect(rendered[0]!.follow).to.deep.equal({ accountName: '示例公众号', qrCodeUrl: 'https://example.com/qr.jpg' });
    expect(rendered[0]!.title).to.deep.equal({ en: 'Follow us to continue', zh: '关注后继续' });
    expect(rendered[0]!.text.en).to.be.a('string').and.not.equal('');
    expect(Object.isFrozen(rendered[0])).to.equal(true);
  });

  it('the 400s of a foreign state and of a cookieless return, the 401 of a form post (the authorize URL as its action), the "open in WeChat" 403', async () => {
    const rendered: WeChatPage[] = [];
    const s = await recordingSite(site, rendered, { wechat: { onlyInWeChat: true } });
    const wechatUa = { 'User-Agent': 'Mozilla/5.0 MicroMessenger/8.0.50' };
    const browser = s.visitor();
    expect((await browser.get('/page', wechatUa)).status).to.equal(302);
    expectBranded(await browser.get(FOREIGN_RETURN, wechatUa), 'stateMismatch', 400);
    expectBranded(await s.visitor().get(FOREIGN_RETURN, wechatUa), 'cookiesRequired', 400);
    const form = await s
      .visitor()
      .agent.post('/comments')
      .set({ Accept: 'text/html', ...wechatUa })
      .type('form')
      .send('text=hi')
      .redirects(0);
    expectBranded(form, 'signInRequired', 401);
    expectBranded(await s.visitor().get('/page', { 'User-Agent': DESKTOP_UA }), 'openInWeChat', 403);
    expect(rendered.map((page) => [page.kind, page.status])).to.deep.equal([
      ['stateMismatch', 400],
      ['cookiesRequired', 400],
      ['signInRequired', 401],
      ['openInWeChat', 403],
    ]);
    expect(rendered[2]!.action!.href).to.match(new RegExp(`^${s.emulator.url}/connect/oauth2/authorize\\?`));
  });

  it('the 502/503 page when WeChat fails: kind unavailable with the error\'s status; the error still reaches app.on("error")', async () => {
    const rendered: WeChatPage[] = [];
    const s = await recordingSite(site, rendered);
    s.emulator.injectFault('/cgi-bin/user/info/batchget', 'busy', 10);
    s.emulator.injectFault('/cgi-bin/user/info', 'busy', 10);
    const { page: response } = await s.visitor().signIn('/page', { nickname: 'Band' });
    expect(response.status).to.be.oneOf([502, 503]);
    expectBranded(response, 'unavailable', response.status);
    expect(rendered.at(-1)).to.deep.include({ kind: 'unavailable', status: response.status, error: 'wechat_unavailable' });
    expect(s.errors.length).to.be.at.least(1);
  });

  it("JSON requests get the library's JSON, and renderPage is not called", async () => {
    const rendered: WeChatPage[] = [];
    const s = await recordingSite(site, rendered);
    const response = await s.visitor().agent.post('/comments').set('Accept', 'application/json').send({ text: 'hi' }).redirects(0);
    expect(response.status).to.equal(401);
    expect((response.body as { error: string }).error).to.equal('wechat_auth_required');
    expect(rendered).to.deep.equal([]);
  });

  it("a page renderPage leaves without a body is the library's own", async () => {
    const s = await site.start({ wechat: { renderPage: () => undefined } });
    expectPage(await s.visitor().get(FOREIGN_RETURN), 400, 'wechat_cookies_required');
  });

  it('an async renderPage (a template engine) is awaited', async () => {
    const s = await site.start({
      wechat: {
        async renderPage(ctx, page) {
          await new Promise((resolve) => setTimeout(resolve, 5));
          ctx.body = `<p data-kind="${page.kind}">later</p>`;
        },
      },
    });
    const response = await s.visitor().get(FOREIGN_RETURN);
    expect(response.status).to.equal(400);
    expect(response.text).to.equal('<p data-kind="cookiesRequired">later</p>');
  });

  it('a renderPage that is not a function is a WeChatOptionsError naming it', async () => {
    const error: unknown = await site.start({ wechat: { renderPage: 'wechat-page' as never } }).catch((thrown: unknown) => thrown);
    expect(error).to.be.instanceOf(WeChatOptionsError);
    expect((error as WeChatOptionsError).option).to.equal('renderPage');
  });
});

describe('pages: the built-in pages', () => {
  const site = useSite();

  it("link home to the site's root, and name an inline favicon (no request for /favicon.ico)", async () => {
    const s = await site.start();
    const response = await s.visitor().get(FOREIGN_RETURN);
    expectPage(response, 400, 'wechat_cookies_required');
    expect(response.text).to.include('<a class="home" href="/">').and.include('<link rel="icon" href="data:,">');
  });

  it("inside koa-mount, home is the mount's root as the browser sees it (/club/)", async () => {
    const s = await site.start({
      mount(app, wechat) {
        const club = new KOA_UNDER_TEST.Koa();
        club.use(wechat.requireSubscription({ enforce: true }));
        club.use(echoState);
        app.use(mount('/club', club));
      },
    });
    const { page } = await s.visitor().signIn('/club/members', { nickname: 'Visitor' });
    expectPage(page, 403, 'wechat_not_subscribed');
    expect(page.text).to.include('<a class="home" href="/club/">');
  });
});
