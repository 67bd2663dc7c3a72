/**
 * What the middleware keeps in a cookie session: small enough for the browser's 4 KB per cookie in the worst
 * case, and several tabs signing in at once each keep their own state.
 */
import Router from '@koa/router';
import { expect } from 'chai';
import { MAX_RETURN_TO_LENGTH } from '../lib/koa/return-to.js';
import { echoState, useSite, type Visitor } from './support/site.js';

const BROWSER_COOKIE_LIMIT = 4096;

/** The longest `name=value` of the session cookie set by an answer. */
function sessionCookieLength(setCookie: string[] | string | undefined): number {
  const cookies = typeof setCookie === 'string' ? [setCookie] : (setCookie ?? []);
  return Math.max(0, ...cookies.filter((each) => each.startsWith('koa.sess=')).map((each) => each.split(';')[0]!.length));
}

/** A return path of exactly the longest length kept. */
function longestPath(tab: number): string {
  const prefix = `/me?tab=${tab}&pad=`;
  return prefix + 'x'.repeat(MAX_RETURN_TO_LENGTH - prefix.length);
}

describe('session: the cookie stays small, and tabs sign in side by side', () => {
  const site = useSite();
  const mount = {
    mount: (app: import('koa'), wechat: import('../lib/index.js').WeChat) => {
      const router = new Router();
      router.get('/page', wechat.requireSubscription(), echoState);
      router.get('/me', wechat.requireSubscription({ scope: 'snsapi_userinfo' }), echoState);
      app.use(wechat.routes());
      app.use(router.routes());
    },
  };

  async function startTabs(browser: Visitor, count: number): Promise<{ largest: number; locations: string[] }> {
    let largest = 0;
    const locations: string[] = [];
    for (let tab = 0; tab < count; tab++) {
      const answer = await browser.get(longestPath(tab));
      expect(answer.status).to.equal(302);
      largest = Math.max(largest, sessionCookieLength(answer.headers['set-cookie']));
      locations.push(answer.headers.location!);
    }
    return { largest, locations };
  }

  it('the worst case (signed in, three userinfo sign-ins under way on the longest paths) stays under 4 KB', async () => {
    const s = await site.start(mount);
    const browser = s.visitor();
    await browser.signIn(longestPath(99).replace('/me', '/page'), { nickname: 'Band' });
    const { largest } = await startTabs(browser, 5);
    expect(largest).to.be.greaterThan(1000);
    expect(largest).to.be.below(BROWSER_COOKIE_LIMIT);
  });

  it('three tabs signing in at once each land on their own page; a fourth pushes out the oldest, which is refused without an exchange', async () => {
    const s = await site.start(mount);
    const browser = s.visitor();
    const { locations } = await startTabs(browser, 4);
    const callbacks = [];
    for (const location of locations) callbacks.push(await browser.authorize(location, { nickname: 'Band' }));
    // The newest three, in any order, then the oldest.
    for (const tab of [3, 1, 2]) {
      const back = await browser.callback(callbacks[tab]!);
      expect(back.status, `tab ${tab}`).to.equal(302);
      expect(back.headers.location).to.equal(longestPath(tab));
    }
    const exchanges = s.emulator.calls('/sns/oauth2/access_token');
    const oldest = await browser.callback(callbacks[0]!);
    expect(oldest.status, 'signed in by now: sent on, not refused').to.equal(302);
    expect(oldest.headers.location).to.equal('/');
    expect(s.emulator.calls('/sns/oauth2/access_token')).to.equal(exchanges);
  });
});
