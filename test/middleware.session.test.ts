/**
 * What the middleware keeps in the browser: the session cookie and each sign-in's own small cookie stay under
 * the browser's 4 KB per cookie, the whole Cookie header stays under a proxy's 8 KB line, and several tabs
 * signing in at once each land on their own page.
 */
import Router from '@koa/router';
import { expect } from 'chai';
import { MAX_RETURN_TO_LENGTH } from '../lib/sign-in/return-to.js';
import { DEDICATED_CALLBACK, echoState, useSite, type Visitor } from './support/site.js';

const BROWSER_COOKIE_LIMIT = 4096;
/** nginx's default `large_client_header_buffers` line. */
const PROXY_HEADER_LINE = 8192;

/** The longest `name=value` among the cookies an answer sets. */
function longestCookie(setCookie: string[] | string | undefined): number {
  const cookies = typeof setCookie === 'string' ? [setCookie] : (setCookie ?? []);
  return Math.max(0, ...cookies.map((each) => each.split(';')[0]!.length));
}

/** A return path of exactly the longest length kept. */
function longestPath(tab: number): string {
  const prefix = `/me?tab=${tab}&pad=`;
  return prefix + 'x'.repeat(MAX_RETURN_TO_LENGTH - prefix.length);
}

for (const [mode, defaults] of [
  ['WeChat returns to the gated URL', {}],
  ['a dedicated callback path', DEDICATED_CALLBACK],
] as const) {
  describe(`session: the cookies stay small, and tabs sign in side by side (${mode})`, () => {
    const site = useSite(defaults);
    const mount = {
      mount: (app: import('koa'), wechat: import('../lib/index.js').WeChat) => {
        const router = new Router();
        router.get('/page', wechat.requireSubscription(), echoState);
        router.get('/me', wechat.requireSubscription({ scope: 'snsapi_userinfo' }), echoState);
        app.use(wechat.routes());
        app.use(router.routes());
      },
    };

    async function startTabs(browser: Visitor, paths: string[]): Promise<{ largest: number; locations: string[] }> {
      let largest = 0;
      const locations: string[] = [];
      for (const path of paths) {
        const answer = await browser.get(path);
        expect(answer.status).to.equal(302);
        largest = Math.max(largest, longestCookie(answer.headers['set-cookie']));
        locations.push(answer.headers.location!);
      }
      return { largest, locations };
    }

    it('the worst case (signed in on the longest path, five userinfo sign-ins started on the longest paths): every cookie under 4 KB, the Cookie header under 8 KB', async () => {
      const s = await site.start(mount);
      const browser = s.visitor();
      await browser.signIn(longestPath(99).replace('/me', '/page'), { nickname: 'Band' });
      const { largest } = await startTabs(browser, [0, 1, 2, 3, 4].map(longestPath));
      expect(largest).to.be.below(BROWSER_COOKIE_LIMIT);
      // The tabs did start sign-ins, so their cookies were among those measured (the return path is not in them).
      expect(
        browser
          .cookieHeader()
          .split('; ')
          .filter((pair) => /^wechat-sign-in-[A-Za-z0-9]+=(?!used)/.test(pair)),
      ).to.have.length.at.least(1);
      expect(`Cookie: ${browser.cookieHeader()}`.length).to.be.below(PROXY_HEADER_LINE);
    });

    it("a used sign-in's cookie goes when the next sign-in starts: the browser does not carry it for 20 minutes", async () => {
      const s = await site.start(mount);
      const browser = s.visitor();
      const { callback } = await browser.signIn('/page', { nickname: 'Band' });
      const used = callback.searchParams.get('state')!;
      expect(browser.cookieHeader()).to.include(`wechat-sign-in-${used}=used`);
      const next = await browser.get('/me');
      expect(next.status).to.equal(302);
      expect(browser.cookieHeader()).not.to.include(`wechat-sign-in-${used}`);
    });

    it('four tabs signing in at once each land on their own page; a fifth pushes out the oldest, which then goes on signed in, without an exchange', async () => {
      const s = await site.start(mount);
      const browser = s.visitor();
      const paths = [0, 1, 2, 3, 4].map((tab) => `/me?tab=${tab}`);
      const { locations } = await startTabs(browser, paths);
      const callbacks = [];
      for (const location of locations) callbacks.push(await browser.authorize(location, { nickname: 'Band' }));
      // The newest four, in any order, then the oldest.
      for (const tab of [3, 1, 4, 2]) {
        const back = await browser.callback(callbacks[tab]!);
        expect(back.status, `tab ${tab}`).to.equal(302);
        expect(back.headers.location).to.equal(paths[tab]);
      }
      const exchanges = s.emulator.calls('/sns/oauth2/access_token');
      const oldest = await browser.callback(callbacks[0]!);
      expect(oldest.status, 'signed in by now: sent on, not refused').to.equal(302);
      expect(s.emulator.calls('/sns/oauth2/access_token')).to.equal(exchanges);
    });
  });
}
