/**
 * What the gate promises its callers, against the emulator and a real site: API requests get 401 JSON, not a
 * redirect; onlyInWeChat; missing prerequisites named with their fix; logout(); the drop-in and its options;
 * and the types of `ctx.state` (this file is type-checked by `npm test`).
 */
import Router from '@koa/router';
import { expect } from 'chai';
import type Koa from 'koa';
import {
  WeChatOptionsError,
  WeChatSetupError,
  createWeChat,
  logout,
  requireSubscription,
  type DropInMiddleware,
  type RequireSubscriptionOptions,
  type WeChat,
} from '../lib/index.js';
import { DEFAULT_EMULATOR_APP_ID, DEFAULT_EMULATOR_APP_SECRET } from '../lib/emulator/index.js';
import { APP_ID, APP_SECRET, FAST_FAILING } from './support/fixtures.js';
import { echoState, useSite } from './support/site.js';
import { echoOf } from './support/answers.js';

const bodyOf = (response: { body: unknown }): Record<string, unknown> => response.body as Record<string, unknown>;

const DESKTOP_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const WECHAT_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI Language/zh_CN';

/** Credentials that pass the checks, for options tests that never call WeChat. */
const OFFLINE = { appId: APP_ID, appSecret: APP_SECRET };

function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

function expectOptionsError(run: () => unknown, option: string): WeChatOptionsError {
  const error = thrown(run);
  expect(error, option).to.be.instanceOf(WeChatOptionsError);
  expect((error as WeChatOptionsError).option, option).to.equal(option);
  expect(error.message, option).to.include(`"${option}"`);
  return error as WeChatOptionsError;
}

describe('contract: API requests without identity', () => {
  const site = useSite();

  it('Accept: application/json gets 401 JSON { error, authorizeUrl }, and following the authorizeUrl signs the visitor in', async () => {
    const s = await site.start();
    const browser = s.visitor();
    const response = await browser.get('/api/me', { Accept: 'application/json' });
    expect(response.status).to.equal(401);
    expect(response.type).to.equal('application/json');
    expect(response.headers.location).to.equal(undefined);
    const { error, authorizeUrl } = bodyOf(response);
    expect(error).to.equal('wechat_auth_required');
    expect(authorizeUrl)
      .to.be.a('string')
      .and.satisfy((url: string) => url.startsWith(`${s.emulator.url}/connect/oauth2/authorize?appid=`));
    const back = await browser.callback(await browser.authorize(authorizeUrl as string, { nickname: 'Band' }));
    expect(back.status).to.equal(302);
    expect(back.headers.location).to.equal('/api/me');
    const me = await browser.get('/api/me', { Accept: 'application/json' });
    expect(me.status).to.equal(200);
    expect(echoOf(me)).to.include({ openid: s.emulator.findUser('Band')!.openid, isConcern: true });
  });

  it('X-Requested-With: XMLHttpRequest gets the 401 JSON too, even when it accepts HTML', async () => {
    const s = await site.start();
    const response = await s.visitor().get('/api/me', { Accept: 'text/html,*/*', 'X-Requested-With': 'XMLHttpRequest' });
    expect(response.status).to.equal(401);
    expect(response.headers.location).to.equal(undefined);
    expect(bodyOf(response)).to.include({ error: 'wechat_auth_required' });
    expect(bodyOf(response).authorizeUrl).to.be.a('string');
  });

  it('a POST without identity gets 401, never a redirect (a form or JSON)', async () => {
    const s = await site.start();
    const browser = s.visitor();
    const form = await browser.agent.post('/comments').set('Accept', 'text/html').type('form').send('text=hello').redirects(0);
    expect(form.status).to.equal(401);
    expect(form.headers.location).to.equal(undefined);
    expect(form.text).to.include('data-error="wechat_auth_required"');
    const json = await browser.agent.post('/api/comments').set('Accept', 'application/json').send({ text: 'hello' }).redirects(0);
    expect(json.status).to.equal(401);
    expect(json.headers.location).to.equal(undefined);
    expect(bodyOf(json).error).to.equal('wechat_auth_required');
  });
});

describe('contract: onlyInWeChat', () => {
  const site = useSite();

  it('on: a desktop browser gets the 403 "open in WeChat" page (JSON for JSON requests); MicroMessenger goes through', async () => {
    const s = await site.start({ wechat: { onlyInWeChat: true } });
    const desktop = s.visitor();
    const page = await desktop.get('/page', { 'User-Agent': DESKTOP_UA });
    expect(page.status).to.equal(403);
    expect(page.headers.location).to.equal(undefined);
    expect(page.text).to.include('Open this page in WeChat').and.include('data-error="wechat_browser_required"');
    const api = await desktop.get('/api/me', { 'User-Agent': DESKTOP_UA, Accept: 'application/json' });
    expect(api.status).to.equal(403);
    expect(bodyOf(api).error).to.equal('wechat_browser_required');
    const { page: inWeChat } = await s.visitor().signIn('/page', { nickname: 'Band' }, { 'User-Agent': WECHAT_UA });
    expect(inWeChat.status).to.equal(200);
    expect(echoOf(inWeChat).isConcern).to.equal(true);
  });

  it('off by default: any User-Agent passes the gate', async () => {
    const s = await site.start();
    const { page } = await s.visitor().signIn('/page', { nickname: 'Band' }, { 'User-Agent': DESKTOP_UA });
    expect(page.status).to.equal(200);
    expect(echoOf(page).isConcern).to.equal(true);
  });
});

describe('contract: missing prerequisites', () => {
  const site = useSite();

  it('no session middleware: a WeChatSetupError naming koa-session and app.use(session(app)); a bare 500 for the visitor', async () => {
    const s = await site.start({ withoutSession: true });
    for (const accept of ['text/html', 'application/json']) {
      const response = await s.visitor().get('/page', { Accept: accept });
      expect(response.status).to.equal(500);
      expect(response.text).not.to.match(/koa-session|session\(app\)|WeChatSetupError|\n\s+at /);
    }
    expect(s.errors).to.have.length(2);
    for (const error of s.errors) {
      expect(error).to.be.instanceOf(WeChatSetupError);
      expect((error as Error).message)
        .to.include('koa-session')
        .and.include('app.use(session(app))');
    }
  });

  it('no app.keys: an error that names app.keys, and a bare 500', async () => {
    const s = await site.start({ withoutKeys: true });
    const response = await s.visitor().get('/page');
    expect(response.status).to.equal(500);
    expect(response.text).not.to.match(/app\.keys|\n\s+at /);
    expect(s.errors).to.have.length(1);
    expect(s.errors[0]).to.be.instanceOf(WeChatSetupError);
    expect((s.errors[0] as Error).message).to.include('app.keys');
  });
});

/** The application's own part of the session. */
function notesOf(ctx: Koa.Context): Record<string, unknown> {
  const session: unknown = ctx.session;
  return session as Record<string, unknown>;
}

describe('contract: logout(ctx)', () => {
  const site = useSite();

  it('sends the visitor to WeChat on the next gated request, and keeps the rest of the session', async () => {
    const s = await site.start({
      mount: (app, wechat) => {
        const router = new Router();
        router.get('/page', wechat.requireSubscription(), echoState);
        router.get('/note', (ctx) => {
          notesOf(ctx).note = 'kept';
          ctx.body = 'noted';
        });
        router.get('/note/read', (ctx) => {
          ctx.body = { note: notesOf(ctx).note };
        });
        router.get('/logout', (ctx) => {
          logout(ctx);
          ctx.body = 'bye';
        });
        app.use(wechat.routes());
        app.use(router.routes());
      },
    });
    const browser = s.visitor();
    await browser.signIn('/page', { nickname: 'Band' });
    await browser.get('/note');
    expect((await browser.get('/page')).status, 'signed in').to.equal(200);
    expect((await browser.get('/logout')).status).to.equal(200);
    const after = await browser.get('/page');
    expect(after.status).to.equal(302);
    expect(after.headers.location).to.include('/connect/oauth2/authorize?');
    expect(bodyOf(await browser.get('/note/read'))).to.deep.equal({ note: 'kept' });
  });
});

describe('contract: the drop-in requireSubscription()', () => {
  const site = useSite();
  const made: DropInMiddleware[] = [];
  afterEach(async () => {
    for (const middleware of made.splice(0)) await middleware.wechat.close();
  });

  /** The one-liner, aimed at the site's emulator; mounted after the site's own `session(app)`. */
  function mountDropIn(extra: Partial<RequireSubscriptionOptions> = {}) {
    const holder: { gate?: DropInMiddleware } = {};
    const mount = (app: Koa, wechat: WeChat): void => {
      const { apiBaseUrl, oauthBaseUrl } = wechat.client.options;
      const gate = requireSubscription({
        appId: DEFAULT_EMULATOR_APP_ID,
        appSecret: DEFAULT_EMULATOR_APP_SECRET,
        apiBaseUrl,
        oauthBaseUrl,
        ...FAST_FAILING,
        ...extra,
      });
      made.push(gate);
      holder.gate = gate;
      app.use(gate);
      app.use(echoState);
    };
    return { mount, holder };
  }

  function dropIn(options: RequireSubscriptionOptions): DropInMiddleware {
    const gate = requireSubscription(options);
    made.push(gate);
    return gate;
  }

  it('gates every path, and WeChat returns the visitor to the gated URL itself, which it completes', async () => {
    const { mount } = mountDropIn();
    const s = await site.start({ mount });
    const browser = s.visitor();
    const first = await browser.get('/anything');
    expect(first.status).to.equal(302);
    expect(new URL(first.headers.location!).searchParams.get('redirect_uri')).to.equal(`${s.url}/anything`);
    const { page, returnTo } = await browser.signIn('/deep/path?q=1', { nickname: 'Band' });
    expect(returnTo).to.equal('/deep/path?q=1');
    expect(echoOf(page)).to.include({ path: '/deep/path', isConcern: true });
    expect(echoOf(await browser.get('/else')).openid).to.equal(echoOf(page).openid);
  });

  it('.wechat exposes the services the gate itself uses', async () => {
    const { mount, holder } = mountDropIn();
    const s = await site.start({ mount });
    const browser = s.visitor();
    const { page } = await browser.signIn('/page', { nickname: 'Band' });
    const { openid } = echoOf(page);
    const services = holder.gate!.wechat;
    expect(services.site.callbackPath, 'no dedicated callback path by default').to.equal(undefined);
    expect(await services.tokens.get()).to.be.a('string');
    expect((await services.subscriptions.status(openid)).subscribed).to.equal(true);
    // An unfollow push recorded through .wechat is what the gate sees next.
    await services.subscriptions.record(openid, false);
    expect(echoOf(await browser.get('/page')).isConcern).to.equal(false);
  });

  it('hands its gate options to its gate (enforce, accountName)', async () => {
    const { mount } = mountDropIn({ enforce: true, accountName: 'Drop-in Club' });
    const s = await site.start({ mount });
    const { page } = await s.visitor().signIn('/page', { nickname: 'Visitor' });
    expect(page.status).to.equal(403);
    expect(page.text).to.include('Drop-in Club');
  });

  it('refuses unknown option names with a did-you-mean', () => {
    const typos: Array<[string, string]> = [
      ['enforced', 'enforce'],
      ['statusTTL', 'statusTtl'],
      ['callbackPth', 'callbackPath'],
      ['onlyInWechat', 'onlyInWeChat'],
      ['signinMaxAge', 'signInMaxAge'],
    ];
    for (const [typo, meant] of typos) {
      const error = expectOptionsError(() => dropIn({ ...OFFLINE, [typo]: true }), typo);
      expect(error.message).to.include(`did you mean "${meant}"`);
    }
  });

  const wrongGateValues: Array<[string, unknown]> = [
    ['enforce', 'yes'],
    ['scope', 'snsapi_login'],
    ['onUnknown', 'ignore'],
    ['onNotSubscribed', '<p>Follow us</p>'],
    ['maxAge', 59],
    ['maxAge', -1],
  ];
  const wrongSiteValues: Array<[string, unknown]> = [
    ['callbackPath', 'wechat/callback'],
    ['publicUrl', 'https://example.com/app'],
    ['publicUrl', 'https://example.com?x=1'],
    ['qrCodeUrl', 'ftp://example.com/qr.png'],
    ['qrCodeUrl', 'javascript:alert(1)'],
    ['onlyInWeChat', 'yes'],
    ['accountName', ''],
  ];

  it('refuses a wrong value of each gate and site option at construction, naming the option', () => {
    for (const [name, value] of [...wrongGateValues, ...wrongSiteValues]) {
      expectOptionsError(() => dropIn({ ...OFFLINE, [name]: value }), name);
    }
    // The bounds themselves are accepted.
    expect(() =>
      dropIn({ ...OFFLINE, signInMaxAge: 60, callbackPath: '/wx/cb', publicUrl: 'https://example.com', qrCodeUrl: 'https://example.com/qr.png' }),
    ).not.to.throw();
  });

  it('the split form refuses the same: gate options on wechat.requireSubscription(), site options on createWeChat()', () => {
    const wechat = createWeChat(OFFLINE);
    try {
      for (const [name, value] of wrongGateValues) expectOptionsError(() => wechat.requireSubscription({ [name]: value }), name);
      for (const [name, value] of wrongSiteValues) expectOptionsError(() => createWeChat({ ...OFFLINE, [name]: value }), name);
      // Not gate options: the services' and the site's own are set once, on createWeChat.
      expectOptionsError(() => wechat.requireSubscription({ appId: 'x' } as never), 'appId');
      expectOptionsError(() => wechat.requireSubscription({ accountName: 'x' } as never), 'accountName');
      expect(thrown(() => wechat.requireSubscription({ enforced: true } as never)).message).to.include('did you mean "enforce"');
    } finally {
      void wechat.close();
    }
  });
});

describe('contract: the types of ctx.state', () => {
  const site = useSite();

  /** Typed by the augmentation of Koa's DefaultState (lib/koa/visitor.ts): no cast, no `any`. */
  const typedHandler: Koa.Middleware = (ctx) => {
    const openid: string | undefined = ctx.state.openid;
    const isConcern: boolean | undefined = ctx.state.isConcern;
    const subscribe: 0 | 1 | undefined = ctx.state.wechatUser?.subscribe;
    // @ts-expect-error isConcern is boolean | undefined; were the augmentation lost (any), this line would compile and tsc would fail here.
    const notAString: string = ctx.state.isConcern;
    void notAString;
    ctx.body = { openid, isConcern, subscribe };
  };

  it('a middleware typed by the augmentation reads openid, isConcern and wechatUser?.subscribe', async () => {
    const s = await site.start({
      mount: (app, wechat) => {
        app.use(wechat.routes());
        app.use(wechat.requireSubscription());
        app.use(typedHandler);
      },
    });
    const { page } = await s.visitor().signIn('/page', { nickname: 'Band' });
    expect(page.body).to.deep.equal({ openid: s.emulator.findUser('Band')!.openid, isConcern: true, subscribe: 1 });
  });
});
