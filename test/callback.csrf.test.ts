/**
 * The OAuth callback refuses what its own session did not start: an attacker's callback URL opened in a
 * victim's browser (login CSRF), a tampered state, a browser that sends no cookies back, a planted session id
 * (fixation), and methods other than GET. Nothing refused ever reaches WeChat's code exchange.
 */
import { expect } from 'chai';
import session from 'koa-session';
import supertest from 'supertest';
import type { Response } from 'supertest';
import { echoOf, expectPage, expectToWeChat } from './support/answers.js';
import { echoState, DEDICATED_CALLBACK, useSite, type Visitor } from './support/site.js';

const EXCHANGE = '/sns/oauth2/access_token';

/** The callback URL an attacker makes: a sign-in started in the attacker's own browser, as `nickname`, never followed. */
async function attackersCallback(attacker: Visitor, nickname: string): Promise<URL> {
  const start = await attacker.get('/account');
  return attacker.authorize(start.headers.location!, { nickname });
}

describe("callback: an attacker's callback URL opened in a victim's browser", () => {
  const site = useSite(DEDICATED_CALLBACK);

  it('a victim without any session gets the "cookies are required" page, and no exchange happens', async () => {
    const { emulator, visitor } = await site.start();
    const trap = await attackersCallback(visitor(), 'Mallory');
    const victim = visitor();
    const answer = await victim.callback(trap);
    expectPage(answer, 400, 'wechat_cookies_required');
    expect(emulator.calls(EXCHANGE)).to.equal(0);
    // Not signed in as anybody: the next gated page sends the victim to WeChat.
    expectToWeChat(await victim.get('/account'), emulator);
  });

  it('a victim whose own sign-in is under way gets the state-mismatch page, and their own sign-in still completes as themselves', async () => {
    const { emulator, visitor } = await site.start();
    const trap = await attackersCallback(visitor(), 'Mallory');
    const victim = visitor();
    const ownStart = await victim.get('/mine');
    const ownState = expectToWeChat(ownStart, emulator);
    expect(trap.searchParams.get('state')).not.to.equal(ownState);

    expectPage(await victim.callback(trap), 400, 'wechat_state_mismatch');
    expect(emulator.calls(EXCHANGE)).to.equal(0);
    expectToWeChat(await victim.get('/account'), emulator);

    // The refusal did not spend the victim's own state.
    const own = await victim.authorize(ownStart.headers.location!, { nickname: 'Band' });
    const back = await victim.callback(own);
    expect(back.status).to.equal(302);
    expect(back.headers.location).to.equal('/mine');
    const page = await victim.get('/mine');
    expect(echoOf(page).openid).to.equal(emulator.findUser('Band')!.openid);
    expect(emulator.calls(EXCHANGE)).to.equal(1);
  });

  it('a victim already signed in is sent home, still signed in as themselves, and no exchange happens', async () => {
    const { emulator, visitor } = await site.start();
    const victim = visitor();
    await victim.signIn('/', { nickname: 'Band' });
    const trap = await attackersCallback(visitor(), 'Mallory');
    const exchanges = emulator.calls(EXCHANGE);

    const answer = await victim.callback(trap);
    expect(answer.status).to.equal(302);
    expect(answer.headers.location).to.equal('/');
    expect(answer.headers['cache-control']).to.equal('no-store');
    expect(emulator.calls(EXCHANGE)).to.equal(exchanges);
    const page = await victim.get('/account');
    expect(page.status).to.equal(200);
    expect(echoOf(page).openid).to.equal(emulator.findUser('Band')!.openid);
    expect(echoOf(page).openid).not.to.equal(emulator.findUser('Mallory')!.openid);
  });
});

describe('callback: a tampered state', () => {
  const site = useSite(DEDICATED_CALLBACK);

  /** Each tampering of the query string, given the genuine state. */
  const tamperings: Array<{ name: string; query: (code: string, state: string) => string }> = [
    { name: 'one character changed', query: (code, state) => `code=${code}&state=${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}` },
    { name: 'a longer state (the genuine one and more)', query: (code, state) => `code=${code}&state=${state}0` },
    { name: 'a shorter state (the genuine one cut short)', query: (code, state) => `code=${code}&state=${state.slice(0, -1)}` },
    { name: 'an empty state', query: (code) => `code=${code}&state=` },
    { name: 'no state at all', query: (code) => `code=${code}` },
    { name: 'a repeated state (state=a&state=b, the genuine one first)', query: (code, state) => `code=${code}&state=${state}&state=other` },
    { name: 'a repeated state (the genuine one twice)', query: (code, state) => `code=${code}&state=${state}&state=${state}` },
    { name: 'bad characters (markup)', query: (code, state) => `code=${code}&state=${state}%3Cscript%3E` },
    { name: 'bad characters (a NUL byte)', query: (code, state) => `code=${code}&state=${state}%00` },
  ];

  for (const { name, query } of tamperings) {
    it(`${name}: 400 state-mismatch page, no exchange, and the genuine callback still works after it`, async () => {
      const { emulator, visitor } = await site.start();
      const browser = visitor();
      const start = await browser.get('/page');
      const genuine = await browser.authorize(start.headers.location!, { nickname: 'Band' });
      const code = genuine.searchParams.get('code')!;
      const state = genuine.searchParams.get('state')!;

      const answer = await browser.get(`${genuine.pathname}?${query(code, state)}`);
      expectPage(answer, 400, 'wechat_state_mismatch');
      expect(answer.text).not.to.include('<script>');
      expect(emulator.calls(EXCHANGE)).to.equal(0);

      const back = await browser.callback(genuine);
      expect(back.status).to.equal(302);
      expect(back.headers.location).to.equal('/page');
      expect(emulator.calls(EXCHANGE)).to.equal(1);
    });
  }
});

describe('callback: a browser that blocks cookies', () => {
  const site = useSite(DEDICATED_CALLBACK);

  it('goes gated page, WeChat, callback and gets the "cookies are required" page, never a second trip to WeChat', async () => {
    const { emulator, server, visitor } = await site.start();
    // No agent: nothing the site sets is ever sent back.
    const get = (path: string) => supertest(server).get(path).set('Accept', 'text/html').redirects(0);
    const start = await get('/page');
    expectToWeChat(start, emulator);
    expect(start.headers['set-cookie']).to.be.an('array').that.is.not.empty;
    const callback = await visitor().authorize(start.headers.location!, { nickname: 'Band' });

    const answer = await get(`${callback.pathname}${callback.search}`);
    expectPage(answer, 400, 'wechat_cookies_required');
    expect(answer.headers.location).to.equal(undefined);
    expect(emulator.calls(EXCHANGE)).to.equal(0);
    expect(emulator.calls('/connect/oauth2/authorize')).to.equal(1);
  });
});

describe('callback: session fixation', () => {
  const site = useSite(DEDICATED_CALLBACK);

  it('a successful callback moves the visitor to a new session id, and the id from before the callback signs nobody in', async () => {
    const store = new Map<string, unknown>();
    const destroyed: string[] = [];
    const { emulator, visitor, server } = await site.start({
      withoutSession: true,
      mount(app, wechat) {
        app.use(
          session(
            {
              sameSite: 'lax',
              store: {
                get: (key: string) => Promise.resolve(store.get(key)),
                set: (key: string, value: unknown) => {
                  store.set(key, value);
                  return Promise.resolve();
                },
                destroy: (key: string) => {
                  destroyed.push(key);
                  store.delete(key);
                  return Promise.resolve();
                },
              },
            },
            app,
          ),
        );
        // A page of the site that keeps something in the session before any sign-in (a planted id would be such a session).
        app.use(async (ctx, next) => {
          const data = ctx.session as unknown as { visits?: number };
          if (ctx.path === '/welcome') ctx.body = String((data.visits = (data.visits ?? 0) + 1));
          else await next();
        });
        app.use(wechat.routes());
        app.use(wechat.requireSubscription());
        app.use((ctx) => echoState(ctx));
      },
    });
    const browser = visitor();
    const welcome = await browser.get('/welcome');
    const start = await browser.get('/page');
    const callback = await browser.authorize(start.headers.location!, { nickname: 'Band' });
    const before = sessionCookies(welcome);
    expect(store.has(before.id), 'the session from before sign-in is in the store').to.equal(true);

    const back = await browser.callback(callback);
    expect(back.status).to.equal(302);
    const after = sessionCookies(back);
    expect(after.id).to.be.a('string').and.not.equal(before.id);
    expect(destroyed).to.include(before.id);
    expect(store.has(before.id)).to.equal(false);
    expect(echoOf(await browser.get('/page')).openid).to.equal(emulator.findUser('Band')!.openid);

    // Whoever planted the old id (and its signature) holds a session that is not signed in.
    const planted = await supertest(server).get('/page').set({ Accept: 'text/html', Cookie: before.header }).redirects(0);
    expectToWeChat(planted, emulator);
  });
});

/** The koa-session cookie (`koa.sess`, an external key here) and its signature, as a Cookie header. */
function sessionCookies(response: Response): { id: string; header: string } {
  const setCookies = (response.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
  // The last value of each name wins, as in a browser; an expired one (a removal) is skipped.
  const live = new Map<string, string>();
  for (const line of setCookies) {
    const [pair] = line.split(';');
    const at = pair!.indexOf('=');
    const name = pair!.slice(0, at);
    const value = pair!.slice(at + 1);
    if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) live.delete(name);
    else live.set(name, value);
  }
  const id = live.get('koa.sess');
  if (id === undefined) throw new Error(`no session cookie in ${JSON.stringify(setCookies)}`);
  return { id, header: [...live].map(([name, value]) => `${name}=${value}`).join('; ') };
}

describe('callback: methods other than GET', () => {
  const site = useSite(DEDICATED_CALLBACK);

  for (const method of ['post', 'put', 'delete', 'patch'] as const) {
    it(`${method.toUpperCase()} to the callback path answers 405 with Allow: GET, HEAD, and no exchange`, async () => {
      const { emulator, visitor } = await site.start();
      const browser = visitor();
      const start = await browser.get('/page');
      const callback = await browser.authorize(start.headers.location!, { nickname: 'Band' });
      const answer = await browser.agent[method](`${callback.pathname}${callback.search}`).set('Accept', 'text/html').redirects(0);
      expect(answer.status).to.equal(405);
      expect(answer.headers.allow).to.equal('GET, HEAD');
      expect(answer.text).not.to.include('    at ');
      expect(emulator.calls(EXCHANGE)).to.equal(0);
      // The state was not spent by the refused method.
      const back = await browser.callback(callback);
      expect(back.status).to.equal(302);
      expect(back.headers.location).to.equal('/page');
    });
  }
});
