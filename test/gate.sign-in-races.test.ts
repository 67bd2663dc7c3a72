/**
 * Sign-ins that race: a single-page app whose calls get 401 JSON answers in parallel or in a row (each answer's
 * `authorizeUrl` must stay usable, the first one above all), and WeChat's double redirect answered after the
 * first exchange has settled (one exchange, and the visitor stays signed in). The site is the README's
 * quick start with the drop-in.
 */
import { expect } from 'chai';
import supertest from 'supertest';
import { echoOf } from './support/answers.js';
import { afterSetCookies, useDropInSite } from './support/drop-in-site.js';
import { echoState, type Visitor } from './support/site.js';

const EXCHANGE = '/sns/oauth2/access_token';
const JSON_CALL = { Accept: 'application/json' };
const API = '/api/me';

/** The stable error code of one of the middleware's pages, for assertion messages. */
const errorOf = (page: string): string => /data-error="([^"]*)"/.exec(page)?.[1] ?? page.slice(0, 200);

/** An API call without identity: 401 JSON with the URL to send the browser to. */
async function authorizeUrlOf(browser: Visitor): Promise<string> {
  const response = await browser.get(API, JSON_CALL);
  expect(response.status, response.text.slice(0, 200)).to.equal(401);
  const body = response.body as { error: string; authorizeUrl: string };
  expect(body.error).to.equal('wechat_auth_required');
  expect(body.authorizeUrl).to.be.a('string');
  return body.authorizeUrl;
}

/** The browser sent to `authorizeUrl` signs in as Band: the callback must redirect, and the next API call answers 200. */
async function expectSignedInThrough(browser: Visitor, authorizeUrl: string, openid: string): Promise<void> {
  const back = await browser.callback(await browser.authorize(authorizeUrl, { nickname: 'Band' }));
  expect(back.status, `the callback: ${back.status} ${errorOf(back.text)}`).to.equal(302);
  const me = await browser.get(API, JSON_CALL);
  expect(me.status, me.text.slice(0, 200)).to.equal(200);
  expect(echoOf(me).openid).to.equal(openid);
}

describe('gate: sign-ins that race', () => {
  const site = useDropInSite();
  const start = () =>
    site.start({
      mount(app, dropIn) {
        app.use(dropIn());
        app.use(echoState);
      },
    });

  it('REGRESSION: ten parallel 401 JSON answers in one session, then the first authorizeUrl: signed in, not 400 wechat_state_mismatch', async () => {
    const { emulator, visitor } = await start();
    const browser = visitor();
    // The app's first call opens the session (a brand-new browser is the next test).
    await authorizeUrlOf(browser);
    const arrived: string[] = [];
    await Promise.all(Array.from({ length: 10 }, () => authorizeUrlOf(browser).then((url) => arrived.push(url))));
    // The first answer to arrive is the one whose cookie the later answers overwrote.
    await expectSignedInThrough(browser, arrived[0]!, emulator.findUser('Band')!.openid);
  });

  it('a brand-new browser (no cookie at all): ten parallel 401 JSON answers each leave a usable authorizeUrl, the first and the last', async () => {
    const { emulator, visitor } = await start();
    const browser = visitor();
    const urls = await Promise.all(Array.from({ length: 10 }, () => authorizeUrlOf(browser)));
    expect(new Set(urls.map((url) => new URL(url).searchParams.get('state'))).size, 'ten sign-ins, each with its own cookie').to.equal(10);
    const band = emulator.findUser('Band')!.openid;
    await expectSignedInThrough(browser, urls[0]!, band);
    await expectSignedInThrough(browser, urls[9]!, band);
  });

  it('REGRESSION: four sequential 401 JSON answers, then the first authorizeUrl: signed in, not 400 wechat_state_mismatch', async () => {
    const { emulator, visitor } = await start();
    const browser = visitor();
    const urls: string[] = [];
    for (let call = 0; call < 4; call++) urls.push(await authorizeUrlOf(browser));
    await expectSignedInThrough(browser, urls[0]!, emulator.findUser('Band')!.openid);
  });

  it("REGRESSION: a duplicate callback after success (WeChat's double redirect, answered late) lands on the page signed in, with one code exchange", async () => {
    const { emulator, server, url, visitor } = await start();
    const browser = visitor();
    const first = await browser.get('/page?x=1');
    expect(first.status).to.equal(302);
    // The callback may be /wechat/callback or the page itself: it is wherever WeChat sends the browser.
    const callback = await browser.authorize(first.headers.location!, { nickname: 'Band' });
    const beforeCallback = browser.cookieHeader();
    const back = await browser.callback(callback);
    expect(back.status, back.text.slice(0, 300)).to.equal(302);
    const signedIn = browser.cookieHeader();
    expect(emulator.calls(EXCHANGE)).to.equal(1);

    // WeChat's second redirect left the browser before the first answer came, with the cookie of that moment.
    const duplicate = await supertest(server)
      .get(`${callback.pathname}${callback.search}`)
      .set({ Accept: 'text/html', Cookie: beforeCallback })
      .redirects(0);
    expect(duplicate.status, `the duplicate: ${duplicate.status} ${duplicate.headers.location ?? duplicate.text.slice(0, 300)}`).to.equal(302);
    const landing = new URL(duplicate.headers.location!, url);
    expect(`${landing.origin}${landing.pathname}${landing.search}`, 'the duplicate goes to the page, not through WeChat').to.equal(`${url}/page?x=1`);
    expect(emulator.calls(EXCHANGE), 'code exchanges').to.equal(1);

    // Whatever cookie the duplicate's answer sets replaces the signed-in one: it must still carry the identity.
    const cookie = afterSetCookies(signedIn, duplicate.headers['set-cookie']);
    const page = await supertest(server).get('/page?x=1').set({ Accept: 'text/html', Cookie: cookie }).redirects(0);
    expect(page.status, `the page after the duplicate: ${page.status} ${page.headers.location ?? ''}`).to.equal(200);
    expect(echoOf(page)).to.include({ openid: emulator.findUser('Band')!.openid, isConcern: true });
  });
});
