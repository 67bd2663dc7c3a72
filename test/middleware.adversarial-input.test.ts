/**
 * The middleware fed odd requests, as a scanner or a curious visitor sends them: queries of the wrong shape,
 * invalid UTF-8, look-alike callback paths, Host headers that name no host, CR/LF in the return path, a
 * forwarded host, and markup wherever a request can reach a page. `REGRESSION:` tests pin defects this review
 * found in lib/, now mended.
 */
import { request, type IncomingHttpHeaders } from 'node:http';
import { expect } from 'chai';
import type { Response } from 'supertest';
import { echoOf, expectPage, expectToWeChat } from './support/answers.js';
import { rawHead } from './support/raw-request.js';
import { echoState, DEDICATED_CALLBACK, useSite, type Site, type Visitor } from './support/site.js';

const EXCHANGE = '/sns/oauth2/access_token';

/** One request exactly as written (the Host header included), on a fresh connection. */
function rawGet(
  url: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const outgoing = request(
      { hostname, port, path, headers: { Accept: 'text/html', ...headers }, setHost: headers.Host === undefined },
      (incoming) => {
        let text = '';
        incoming.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, text }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** The "Try again" link of a page, as the browser reads it. */
function buttonHref(response: { text: string }): string {
  const match = /<a class="button" href="([^"]*)">/.exec(response.text);
  if (match === null) throw new Error(`no link on the page: ${response.text.slice(0, 300)}`);
  return match[1]!
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The whole dance for `path`, every answer kept; ends on the page. */
async function signInKeeping(browser: Visitor, path: string, seen: Response[]): Promise<Response> {
  const first = await browser.get(path);
  seen.push(first);
  const back = await browser.callback(await browser.authorize(first.headers.location!, { nickname: 'Band' }));
  seen.push(back);
  const page = await browser.get(back.headers.location!);
  seen.push(page);
  return page;
}

describe('adversarial: odd callback requests', () => {
  const site = useSite(DEDICATED_CALLBACK);

  /** A sign-in under way on /page, and WeChat's genuine callback for it. */
  async function underWay(started: Site) {
    const browser = started.visitor();
    const genuine = await browser.authorize((await browser.get('/page')).headers.location!, { nickname: 'Band' });
    return { browser, genuine, code: genuine.searchParams.get('code')!, state: genuine.searchParams.get('state')! };
  }

  const leaveStatePending: Array<{ name: string; path: (code: string, state: string) => string; answer: 'mismatch' | 'toWeChat' }> = [
    { name: 'the state as an array (state[]=)', path: (code, state) => `/wechat/callback?code=${code}&state[]=${state}`, answer: 'mismatch' },
    { name: 'the state as __proto__[state]', path: (code, state) => `/wechat/callback?code=${code}&__proto__[state]=${state}`, answer: 'mismatch' },
    {
      name: 'the state as __proto__',
      path: (code, state) => `/wechat/callback?code=${code}&__proto__=${state}&constructor[prototype][state]=${state}`,
      answer: 'mismatch',
    },
    { name: 'a state of invalid UTF-8 (%ff)', path: (code, state) => `/wechat/callback?code=${code}&state=${state}%ff`, answer: 'mismatch' },
    { name: 'a state of 8000 characters', path: (code, state) => `/wechat/callback?code=${code}&state=${state.repeat(250)}`, answer: 'mismatch' },
    { name: 'a trailing slash on the path', path: (code, state) => `/wechat/callback/?code=${code}&state=${state}`, answer: 'toWeChat' },
    { name: 'the path in capitals', path: (code, state) => `/WECHAT/CALLBACK?code=${code}&state=${state}`, answer: 'toWeChat' },
    { name: 'an encoded slash in the path', path: (code, state) => `/wechat%2Fcallback?code=${code}&state=${state}`, answer: 'toWeChat' },
  ];

  for (const { name, path, answer } of leaveStatePending) {
    it(`${name}: no exchange, no 500, no pollution, and the genuine callback still signs the visitor in`, async () => {
      const started = await site.start();
      const { browser, genuine, code, state } = await underWay(started);
      const odd = await browser.get(path(code, state));
      if (answer === 'mismatch') expectPage(odd, 400, 'wechat_state_mismatch');
      else expectToWeChat(odd, started.emulator);
      expect(({} as Record<string, unknown>).state).to.equal(undefined);
      expect(started.emulator.calls(EXCHANGE)).to.equal(0);
      expect((await browser.callback(genuine)).headers.location).to.equal('/page');
      expect(started.emulator.calls(EXCHANGE)).to.equal(1);
      expect(started.errors).to.deep.equal([]);
    });
  }

  const spendState: Array<{ name: string; query: (code: string, state: string) => string }> = [
    { name: 'the code as an object (code[a]=b)', query: (_code, state) => `code[a]=b&state=${state}` },
    { name: 'the code repeated', query: (code, state) => `code=${code}&code=${code}&state=${state}` },
    { name: 'a code of invalid UTF-8 (%ff)', query: (_code, state) => `code=%ff&state=${state}` },
  ];

  for (const { name, query } of spendState) {
    it(`${name}, with the right state: the state is spent, the dance restarts once, no 500`, async () => {
      const started = await site.start();
      const { browser, code, state } = await underWay(started);
      const odd = await browser.get(`/wechat/callback?${query(code, state)}`);
      expect(expectToWeChat(odd, started.emulator)).not.to.equal(state);
      expect(started.errors).to.deep.equal([]);
    });
  }

  // lib/koa/callback.ts: the client's argument check (WeChatArgumentError, a WeChatError) is answered as WeChat being down.
  it('REGRESSION: a code WeChat could never issue (5000 characters, or with a space) restarts the dance like any refused code, not a 502 and an error for the app', async () => {
    const started = await site.start();
    for (const code of ['0'.repeat(5000), 'a%20b']) {
      const { browser, state } = await underWay(started);
      const odd = await browser.get(`/wechat/callback?code=${code}&state=${state}`);
      expect(odd.status, `${code.slice(0, 10)}: ${odd.text.slice(0, 100)}`).to.equal(302);
      expectToWeChat(odd, started.emulator);
    }
    expect(started.errors.map((error) => (error as Error).name)).to.deep.equal([]);
  });

  it('HEAD with the genuine query completes the sign-in like GET; OPTIONS is 405', async () => {
    const started = await site.start();
    const { browser, genuine } = await underWay(started);
    const options = await browser.agent.options(`${genuine.pathname}${genuine.search}`).redirects(0);
    expect(options.status).to.equal(405);
    const head = await browser.agent.head(`${genuine.pathname}${genuine.search}`).redirects(0);
    expect(head.status).to.equal(302);
    expect(head.headers.location).to.equal('/page');
    expect(echoOf(await browser.get('/page')).openid).to.equal(started.emulator.findUser('Band')!.openid);
  });
});

describe('adversarial: odd gated requests', () => {
  const site = useSite(DEDICATED_CALLBACK);

  it('REGRESSION: HEAD is sent to WeChat like GET; OPTIONS (a CORS preflight, which carries no cookie) gets a bare 401, never the route, and starts no sign-in', async () => {
    const started = await site.start();
    const browser = started.visitor();
    const head = await browser.agent.head('/page').set('Accept', 'text/html').redirects(0);
    expect(head.status).to.equal(302);
    expect(head.headers.location).to.match(new RegExp(`^${started.emulator.url}/connect/oauth2/authorize\\?`));
    const options = await browser.agent.options('/page').set('Accept', 'text/html').redirects(0);
    expect(options.status, 'the route did not answer').to.equal(401);
    expect(options.text).to.include('data-error="wechat_auth_required"');
    expect(options.headers.location).to.equal(undefined);
    expect(options.headers['set-cookie'], 'no sign-in started').to.equal(undefined);
  });

  it('invalid UTF-8 and non-ASCII in the path and query: sent to WeChat, and back to exactly that path', async () => {
    const started = await site.start();
    const seen: Response[] = [];
    const page = await signInKeeping(started.visitor(), '/p%ff/%E4%B8%AD?q=%ff%fe&r=%', seen);
    expect(seen[1]!.headers.location).to.equal('/p%ff/%E4%B8%AD?q=%ff%fe&r=%25');
    expect(page.status).to.equal(200);
    expect(started.errors).to.deep.equal([]);
  });

  // The client's WeChatArgumentError (status 400, exposed) reaches Koa, which answers it as a plain 400: the
  // requester only hurts itself, and Koa's default logger stays quiet for exposed errors.
  it('a Host header (or, with app.proxy, X-Forwarded-*) that cannot form the callback URL gets a bare 400: no 500, no redirect, no stack', async () => {
    const plain = await site.start();
    const proxied = await site.start({ proxy: true });
    const requests: Array<[Site, Record<string, string>]> = [
      [plain, { Host: 'bad host' }],
      [plain, { Host: 'example.com#x' }],
      [plain, { Host: 'example.com:99999' }],
      [proxied, { 'X-Forwarded-Host': 'a<b' }],
      [proxied, { 'X-Forwarded-Proto': 'javascript' }],
    ];
    for (const [started, headers] of requests) {
      const answer = await rawGet(started.url, '/page', headers);
      expect(answer.status, JSON.stringify(headers)).to.equal(400);
      expect(answer.headers.location).to.equal(undefined);
      expect(answer.text).not.to.include('    at ');
    }
    for (const error of [...plain.errors, ...proxied.errors]) expect(error).to.include({ status: 400, expose: true });
  });

  it('REGRESSION: an HTTP/1.0 request with no Host header gets the same 400, not a redirect_uri on a host named "wechat"', async () => {
    const started = await site.start();
    const { port } = new URL(started.url);
    // "http:///wechat/callback" parses as http://wechat/callback: the empty host must be refused, not built on.
    const head = await rawHead(Number(port), 'GET /page HTTP/1.0\r\nAccept: text/html\r\n\r\n');
    expect(head).to.match(/^HTTP\/1\.1 400 /);
    expect(head).not.to.match(/^location:/im);
    expect(head).not.to.match(/^set-cookie:/im);
    expect(started.errors).to.have.length(1);
    expect(started.errors[0]).to.include({ status: 400, expose: true });
  });
});

describe('adversarial: header injection and foreign hosts', () => {
  const site = useSite(DEDICATED_CALLBACK);

  it('CR/LF encoded in the gated URL stays encoded in Location, and sets no header of its own', async () => {
    const started = await site.start();
    const seen: Response[] = [];
    const path = '/p?x=%0d%0aSet-Cookie:%20evil=1%0d%0aX-Injected:%201';
    await signInKeeping(started.visitor(), path, seen);
    expect(seen[1]!.headers.location).to.equal(path);
    for (const answer of seen) {
      expect(answer.headers['x-injected']).to.equal(undefined);
      expect(JSON.stringify(answer.headers['set-cookie'] ?? [])).not.to.include('evil');
    }
  });

  it('with app.proxy and no publicUrl, a forged X-Forwarded-Host only makes a never-cached redirect_uri that WeChat refuses (10003)', async () => {
    const started = await site.start({ proxy: true });
    const browser = started.visitor();
    const answer = await browser.get('/page', { 'X-Forwarded-Host': 'evil.example' });
    expectToWeChat(answer, started.emulator);
    expect(new URL(answer.headers.location!).searchParams.get('redirect_uri')).to.equal('http://evil.example/wechat/callback');
    const wechat = await browser.wechat(answer.headers.location!, { nickname: 'Band' });
    expect(wechat.headers.get('location')).to.equal(null);
    expect(await wechat.text()).to.include('10003');
    expect(started.emulator.calls(EXCHANGE)).to.equal(0);
  });
});

describe('adversarial: markup from a request never reaches a page unescaped', () => {
  const site = useSite(DEDICATED_CALLBACK);

  it('the Try again link of a path with quotes and tags is escaped, and leads back to exactly that path', async () => {
    const started = await site.start({
      emulator: { onRefuse: 'redirect' },
      mount(app, wechat) {
        app.use(wechat.routes());
        app.use(wechat.requireSubscription({ scope: 'snsapi_userinfo' }));
        app.use(echoState);
      },
    });
    const path = `/p?q="><img/src=x/onerror=alert(1)>'`;
    const browser = started.visitor();
    let answer = await rawGet(started.url, path);
    let cookie = '';
    for (let trip = 0; trip < 2; trip++) {
      cookie = (answer.headers['set-cookie'] ?? []).map((line) => line.split(';')[0]).join('; ') || cookie;
      const back = await browser.authorize(answer.headers.location!, { nickname: 'Band', consent: 'refuse' });
      answer = await rawGet(started.url, `${back.pathname}${back.search}`, { Cookie: cookie });
    }
    expect(answer.status).to.equal(400);
    expect(answer.text).to.include('data-error="wechat_sign_in_failed"');
    expect(answer.text).not.to.include('<img');
    expect(answer.text).to.include('href="/p?q=&quot;&gt;&lt;img/src=x/onerror=alert(1)&gt;&#39;"');
    expect(buttonHref(answer)).to.equal(path);
  });

  it('the 401 page of a form post, whose authorize URL carries a Host with quotes, keeps them inside the href', async () => {
    const started = await site.start();
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const { hostname, port } = new URL(started.url);
      const outgoing = request(
        { hostname, port, path: '/comments', method: 'POST', setHost: false, headers: { Host: 'x"onmouseover="alert(1)', Accept: 'text/html' } },
        (incoming) => {
          let text = '';
          incoming.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, text }));
        },
      );
      outgoing.on('error', reject);
      outgoing.end('text=hi');
    });
    expect(answer.status).to.equal(401);
    expect(answer.text).not.to.include('"onmouseover');
    expect(buttonHref(answer)).to.include('%22onmouseover%3D%22alert(1)');
  });
});
