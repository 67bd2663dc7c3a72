/**
 * The mounting matrix of the drop-in: `requireSubscription({ ... })` and nothing else of the library, mounted
 * each way a Koa site mounts middleware: `app.use`, one @koa/router route, a `Router({ prefix })`, a sub-app
 * under koa-mount (with the default callback, and with `callbackPath` given with the mount prefix), and several
 * routes with different options. In each, a follower signs in through the emulator, a non-follower gets the
 * follow page on enforce routes, and the browser's redirects end (at most 10: a loop through WeChat is a
 * failure, not a hang). The whole matrix runs under Koa 3 and Koa 2 in each leg of npm test.
 */
import Router from '@koa/router';
import { expect } from 'chai';
import type Koa from 'koa';
import mount from 'koa-mount';
import { echoOf, expectPage } from './support/answers.js';
import { browse, describeBrowse, KOA_CLASSES, useDropInSite, type Browsed, type KoaClass, type MakeDropIn } from './support/drop-in-site.js';
import { echoState, type Visitor } from './support/site.js';
import type { Emulator } from '../lib/emulator/index.js';

interface Shape {
  name: string;
  /** The enforce route, as the browser sees it. */
  enforced: string;
  mount(app: Koa, dropIn: MakeDropIn, KoaClass: KoaClass): void;
}

/** A sub-app under koa-mount at /sub, gated as a whole by a drop-in with these options. */
function subApp(extra: Parameters<MakeDropIn>[0]): Shape['mount'] {
  return (app, dropIn, KoaClass) => {
    const sub = new KoaClass();
    sub.use(dropIn({ enforce: true, ...extra }));
    sub.use(echoState);
    app.use(mount('/sub', sub));
  };
}

const SHAPES: Shape[] = [
  {
    name: 'app.use(requireSubscription(...))',
    enforced: '/members/x',
    mount(app, dropIn) {
      app.use(dropIn({ enforce: true }));
      app.use(echoState);
    },
  },
  {
    name: "one router route: router.get('/members', requireSubscription(...), handler)",
    enforced: '/members',
    mount(app, dropIn) {
      const router = new Router();
      router.get('/members', dropIn({ enforce: true }), echoState);
      app.use(router.routes());
    },
  },
  {
    name: "a new Router({ prefix: '/shop' })",
    enforced: '/shop/members',
    mount(app, dropIn) {
      const router = new Router({ prefix: '/shop' });
      router.get('/members', dropIn({ enforce: true }), echoState);
      app.use(router.routes());
    },
  },
  { name: "a sub-app under koa-mount at '/sub', default options", enforced: '/sub/members', mount: subApp({}) },
  {
    name: "a sub-app under koa-mount at '/sub', callbackPath '/sub/wechat/callback'",
    enforced: '/sub/members',
    mount: subApp({ callbackPath: '/sub/wechat/callback' }),
  },
];

function expectEnded(browsed: Browsed): void {
  expect(browsed.ended, `the redirects end: ${describeBrowse(browsed)}`).to.equal(true);
}

function openidOf(emulator: Emulator, nickname: string): string {
  return emulator.findUser(nickname)!.openid;
}

/** Signs `nickname` in from `path`: the redirects end on a page, after at most one trip through WeChat. */
async function visit(browser: Visitor, emulator: Emulator, path: string, nickname: string): Promise<Browsed> {
  const browsed = await browse(browser, emulator, path, { nickname });
  expectEnded(browsed);
  expect(browsed.trips, describeBrowse(browsed)).to.be.at.most(1);
  return browsed;
}

for (const { name: koaName, Koa: KoaClass } of KOA_CLASSES) {
  describe(`gate mounting (${koaName}): the drop-in works wherever it is mounted`, () => {
    const site = useDropInSite();

    for (const shape of SHAPES) {
      describe(shape.name, () => {
        const start = () => site.start({ Koa: KoaClass, mount: (app, dropIn) => shape.mount(app, dropIn, KoaClass) });

        it('a follower signs in through WeChat and sees the page with ctx.state.openid and isConcern, with no 404 or loop', async () => {
          const { emulator, visitor } = await start();
          const browser = visitor();
          const first = await browse(browser, emulator, shape.enforced, { nickname: 'Band' });
          expectEnded(first);
          expect(first.trips, describeBrowse(first)).to.equal(1);
          expect(first.response.status, describeBrowse(first)).to.equal(200);
          expect(echoOf(first.response)).to.include({ openid: openidOf(emulator, 'Band'), isConcern: true });
          // Signed in: the page again is answered at once.
          const again = await browser.get(shape.enforced);
          expect(again.status).to.equal(200);
          expect(echoOf(again).openid).to.equal(openidOf(emulator, 'Band'));
        });

        it('a non-follower gets the 403 follow page on the enforce route, with no 404 or loop', async () => {
          const { emulator, visitor } = await start();
          const browsed = await visit(visitor(), emulator, shape.enforced, 'Visitor');
          expectPage(browsed.response, 403, 'wechat_not_subscribed');
        });

        it('an unchecked request never reaches the handler: GET without a cookie goes to WeChat, HEAD and OPTIONS get no 2xx', async () => {
          const { emulator, visitor } = await start();
          const browser = visitor();
          const get = await browser.get(shape.enforced);
          expect(get.status, get.text.slice(0, 200)).to.equal(302);
          expect(get.headers.location).to.match(new RegExp(`^${emulator.url}/connect/oauth2/authorize\\?`));
          for (const method of ['head', 'options'] as const) {
            const response = await browser.agent[method](shape.enforced).set('Accept', 'text/html').redirects(0);
            expect(response.status, `${method.toUpperCase()} ${shape.enforced}: ${response.text?.slice(0, 200)}`).not.to.be.within(200, 299);
          }
        });
      });
    }

    describe('several routes with different options in one app (detect, enforce, snsapi_userinfo)', () => {
      const start = () =>
        site.start({
          Koa: KoaClass,
          mount(app, dropIn) {
            const router = new Router();
            router.get('/news', dropIn(), echoState);
            router.get('/members', dropIn({ enforce: true }), echoState);
            router.get('/profile', dropIn({ scope: 'snsapi_userinfo' }), echoState);
            app.use(router.routes());
          },
        });

      it('a follower signs in on each route; snsapi_userinfo adds the profile with one more trip', async () => {
        const { emulator, visitor } = await start();
        const browser = visitor();
        const openid = openidOf(emulator, 'Band');
        const news = await visit(browser, emulator, '/news', 'Band');
        expect(news.response.status, describeBrowse(news)).to.equal(200);
        expect(echoOf(news.response)).to.include({ openid, isConcern: true });

        const members = await visit(browser, emulator, '/members', 'Band');
        expect(members.response.status, describeBrowse(members)).to.equal(200);
        expect(echoOf(members.response)).to.include({ openid, isConcern: true });

        const profile = await visit(browser, emulator, '/profile', 'Band');
        expect(profile.response.status, describeBrowse(profile)).to.equal(200);
        expect(echoOf(profile.response)).to.include({ openid, isConcern: true });
        expect(echoOf(profile.response).wechatUser).to.include({ nickname: 'Band' });
      });

      it('a non-follower is detected on the other routes and gets the 403 follow page on the enforce route only', async () => {
        const { emulator, visitor } = await start();
        const browser = visitor();
        const openid = openidOf(emulator, 'Visitor');
        const news = await visit(browser, emulator, '/news', 'Visitor');
        expect(news.response.status, describeBrowse(news)).to.equal(200);
        expect(echoOf(news.response)).to.include({ openid, isConcern: false });

        const members = await visit(browser, emulator, '/members', 'Visitor');
        expectPage(members.response, 403, 'wechat_not_subscribed');

        const profile = await visit(browser, emulator, '/profile', 'Visitor');
        expect(profile.response.status, describeBrowse(profile)).to.equal(200);
        expect(echoOf(profile.response)).to.include({ openid, isConcern: false });
      });
    });
  });
}
