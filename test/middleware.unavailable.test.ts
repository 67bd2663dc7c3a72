/**
 * WeChat in trouble, as the visitor sees it: a short 502/503 page (or JSON), the typed error on
 * `app.on('error')`, never a stack, never a redirect loop, and never a silent "does not follow".
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type Koa from 'koa';
import sinon from 'sinon';
import type { Response } from 'supertest';
import { WeChatApiError, WeChatStatusUnknownError, WeChatUnavailableError, type WeChat } from '../lib/index.js';
import type { FaultKind } from '../lib/emulator/state/faults.js';
import { HANG_TIMEOUT } from './support/fixtures.js';
import { leaksIn, serializations } from './support/leak-scan.js';
import { useSite, type Site, type SignInChoice, type Visitor } from './support/site.js';

type ErrorClass = typeof WeChatApiError | typeof WeChatUnavailableError;

/** One way WeChat fails, and what the visitor must be told. */
interface Trouble {
  name: string;
  kind: FaultKind;
  /** The page's status, which is also the emitted error's. */
  status: 502 | 503;
  cause: ErrorClass;
}

/** The emulator's faults; each is injected often enough to outlast the client's retries. */
const TROUBLES: Trouble[] = [
  { name: 'an HTML 500 page from a proxy', kind: 'html500', status: 502, cause: WeChatUnavailableError },
  { name: 'no answer (timeout)', kind: 'hang', status: 503, cause: WeChatUnavailableError },
  { name: 'a cut connection', kind: 'reset', status: 503, cause: WeChatUnavailableError },
  { name: 'system busy (-1)', kind: 'busy', status: 503, cause: WeChatApiError },
  { name: 'the daily quota spent (45009)', kind: 'quota', status: 503, cause: WeChatApiError },
];

const ENOUGH = 10;

/** The names under which WeChat's secrets travel, in queries, JSON bodies and answers. */
const SECRET_FIELDS = ['secret', 'code', 'access_token', 'refresh_token'];

/**
 * A real hop between the library and the emulator that writes down every secret it carries (the app secret,
 * codes, global and OAuth tokens) and, with `echo`, makes each failed answer repeat the request it got, as
 * some proxies and WeChat's own errmsgs do: the library is then handed its secrets inside the failure.
 * `refuse(path)` answers an errcode itself (WeChat's 40164 for a server IP off the whitelist).
 */
interface Wire {
  readonly url: string;
  /** Where requests go on; set it once the emulator is up. */
  target: string;
  readonly secrets: Set<string>;
  /** How many failed answers were made to repeat the request. */
  readonly echoed: number;
  close(): Promise<void>;
}

async function startWire(options: { echo?: boolean; refuse?: (path: string) => number | undefined } = {}): Promise<Wire> {
  const secrets = new Set<string>();
  const collect = (text: string): void => {
    for (const name of SECRET_FIELDS) for (const match of text.matchAll(new RegExp(`"${name}"\\s*:\\s*"([^"]+)"`, 'g'))) secrets.add(match[1]!);
  };
  let echoed = 0;
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(incoming.url ?? '/', 'http://wire');
      for (const name of SECRET_FIELDS) for (const value of url.searchParams.getAll(name)) secrets.add(value);
      collect(body);
      const sent = `${incoming.method} ${incoming.url} ${body}`;
      const echo = (errmsg: string): string => (options.echo === true ? `${errmsg} (request: ${sent})` : errmsg);
      const refused = options.refuse?.(url.pathname);
      if (refused !== undefined) {
        echoed += options.echo === true ? 1 : 0;
        const errmsg = echo('invalid ip 203.0.113.9 ipv6 ::ffff:203.0.113.9, not in whitelist');
        outgoing
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ errcode: refused, errmsg: `${errmsg} rid: 6650f1a2-1b2c3d4e-5f6a7b8c` }));
        return;
      }
      const upstream = request(new URL(incoming.url ?? '/', wire.target), { method: incoming.method, headers: incoming.headers }, (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => parts.push(chunk));
        answer.on('end', () => {
          let text = Buffer.concat(parts).toString('utf8');
          collect(text);
          const errcode = /"errcode"\s*:\s*(-?\d+)/.exec(text)?.[1];
          if (options.echo === true && (answer.statusCode !== 200 || (errcode !== undefined && errcode !== '0'))) {
            echoed += 1;
            const parsed = errcode === undefined ? undefined : (JSON.parse(text) as { errmsg: string });
            text = parsed === undefined ? `<h1>${sent}</h1>${text}` : JSON.stringify({ ...parsed, errmsg: echo(parsed.errmsg) });
          }
          const headers = { ...answer.headers };
          delete headers['content-length'];
          delete headers['transfer-encoding'];
          outgoing.writeHead(answer.statusCode ?? 502, headers).end(text);
        });
      });
      upstream.on('error', () => outgoing.destroy());
      // The library gave up on a hung call: let the emulator know.
      outgoing.on('close', () => upstream.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const wire: Wire = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    target: 'http://127.0.0.1:9',
    secrets,
    get echoed() {
      return echoed;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return wire;
}

/** Call inside a `describe`: wires started through the returned function close after each test. */
function useWires(): (options?: Parameters<typeof startWire>[0]) => Promise<Wire> {
  const open: Wire[] = [];
  afterEach(async () => {
    for (const wire of open.splice(0)) await wire.close();
  });
  return async (options) => {
    const wire = await startWire(options);
    open.push(wire);
    return wire;
  };
}

/** The whole dance, step by step, with hooks between the steps; every answer of the site is kept in `seen`. */
async function dance(
  browser: Visitor,
  path: string,
  who: SignInChoice,
  steps: {
    beforeCallback?: () => void;
    beforePage?: () => void;
    callbackHeaders?: Record<string, string>;
    pageHeaders?: Record<string, string>;
  } = {},
  seen: Response[] = [],
) {
  const first = await browser.get(path);
  seen.push(first);
  expect(first.status, 'the gated page sends the browser to WeChat').to.equal(302);
  const callback = await browser.authorize(first.headers.location!, who);
  steps.beforeCallback?.();
  const back = await browser.get(`${callback.pathname}${callback.search}`, steps.callbackHeaders);
  seen.push(back);
  if (back.status !== 302) return { callback, back, page: undefined };
  steps.beforePage?.();
  const page = await browser.get(back.headers.location!, steps.pageHeaders);
  seen.push(page);
  return { callback, back, page };
}

/** The visitor's page for WeChat trouble: the status asked for, short, in both languages, no stack, no way round. */
function expectUnavailablePage(response: Response, status: number): void {
  expect(response.status, response.text.slice(0, 200)).to.equal(status);
  expect(response.headers.location, 'no redirect: a redirect here is how loops start').to.equal(undefined);
  expect(response.headers['content-type']).to.match(/^text\/html/);
  expect(response.text).to.include('data-error="wechat_unavailable"');
  expect(response.text, 'Chinese').to.match(/[\u4e00-\u9fff]{4}/);
  expect(response.text, 'English').to.match(/WeChat/);
  expect(response.text).to.not.include('    at ');
  expect(response.text.length).to.be.below(4000);
}

function expectUnavailableJson(response: Response, status: number, code: string): void {
  expect(response.status).to.equal(status);
  expect(response.headers['content-type']).to.match(/^application\/json/);
  expect(response.body).to.include({ error: 'wechat_unavailable', code });
  expect(response.text).to.not.include('    at ');
}

/** The one error the app was told about. */
function onlyError(site: Site): unknown {
  expect(site.errors, 'app.on("error") heard exactly one error').to.have.length(1);
  return site.errors[0];
}

/** The gate for `options`, then the route answering what it was given, `undefined` spelt out. */
function mountGate(options: Parameters<WeChat['requireSubscription']>[0]) {
  return (app: Koa, wechat: WeChat) => {
    app.use(wechat.routes());
    app.use(wechat.requireSubscription(options));
    app.use((ctx) => {
      const { openid, isConcern, wechatUser } = ctx.state;
      ctx.body = {
        reached: true,
        openid,
        isConcern: isConcern === undefined ? 'undefined' : isConcern,
        wechatUser: wechatUser === undefined ? 'undefined' : 'set',
      };
    });
  };
}

describe('WeChat down at the code exchange: a 502/503 page, the typed error on app.on("error"), no loop', () => {
  const site = useSite();
  const opened = useWires();

  for (const trouble of TROUBLES) {
    it(`${trouble.name}: a ${trouble.status} page, a ${trouble.cause.name} for the app, and the callback is not replayable`, async () => {
      const started = await site.start({ wechat: { timeout: HANG_TIMEOUT } });
      const browser = started.visitor();
      const { back, callback } = await dance(
        browser,
        '/page',
        { nickname: 'Band' },
        {
          beforeCallback: () => started.emulator.injectFault('/sns/oauth2/access_token', trouble.kind, ENOUGH),
        },
      );
      expectUnavailablePage(back, trouble.status);
      const error = onlyError(started);
      expect(error).to.be.instanceOf(trouble.cause);
      expect((error as WeChatApiError).status).to.equal(trouble.status);
      // A code works once: no retry of the exchange, and a reload is refused without asking WeChat again.
      expect(started.emulator.calls('/sns/oauth2/access_token')).to.equal(1);
      const reload = await browser.callback(callback);
      expect(reload.status).to.equal(400);
      expect(reload.headers.location).to.equal(undefined);
      expect(started.emulator.calls('/sns/oauth2/access_token')).to.equal(1);
    });
  }

  it('a wrong app secret: a 502 page, and a WeChatApiError 40125 for the app', async () => {
    const started = await site.start({ wechat: { appSecret: 'not0the0secret0of0this0account00' } });
    const { back } = await dance(started.visitor(), '/page', { nickname: 'Band' });
    expectUnavailablePage(back, 502);
    const error = onlyError(started) as WeChatApiError;
    expect(error).to.be.instanceOf(WeChatApiError);
    expect(error.errcode).to.equal(40125);
  });

  it('a server IP not on the whitelist (40164): a 502 page, and a WeChatApiError 40164 for the app', async () => {
    const wire = await opened({ refuse: () => 40164 });
    const started = await site.start({ wechat: { apiBaseUrl: wire.url } });
    wire.target = started.emulator.url;
    const { back } = await dance(started.visitor(), '/page', { nickname: 'Band' });
    expectUnavailablePage(back, 502);
    expect((onlyError(started) as WeChatApiError).errcode).to.equal(40164);
  });

  it('a JSON request gets {error: "wechat_unavailable"} with the error code, not a page', async () => {
    const started = await site.start();
    const { back } = await dance(
      started.visitor(),
      '/page',
      { nickname: 'Band' },
      {
        beforeCallback: () => started.emulator.injectFault('/sns/oauth2/access_token', 'busy'),
        callbackHeaders: { Accept: 'application/json', 'X-Requested-With': 'XMLHttpRequest' },
      },
    );
    expectUnavailableJson(back, 503, 'ERR_WECHAT_API');
  });
});

/** Where a lookup can fail after sign-in: the batched user info, or the global token it needs. */
const LOOKUP_TROUBLES: Array<Trouble & { endpoint: string; tokenSource?: 'classic' }> = [
  ...TROUBLES.map((trouble) => ({ ...trouble, endpoint: '/cgi-bin/user/info/batchget' })),
  { name: 'the stable token refused as busy', kind: 'busy', status: 503, cause: WeChatApiError, endpoint: '/cgi-bin/stable_token' },
  { name: 'the stable token over quota', kind: 'quota', status: 503, cause: WeChatApiError, endpoint: '/cgi-bin/stable_token' },
  { name: 'the stable token behind an HTML 500', kind: 'html500', status: 502, cause: WeChatUnavailableError, endpoint: '/cgi-bin/stable_token' },
  {
    name: 'the classic token not answering',
    kind: 'hang',
    status: 503,
    cause: WeChatUnavailableError,
    endpoint: '/cgi-bin/token',
    tokenSource: 'classic',
  },
  { name: 'the classic token over quota', kind: 'quota', status: 503, cause: WeChatApiError, endpoint: '/cgi-bin/token', tokenSource: 'classic' },
];

describe('WeChat down at the subscription lookup, onUnknown "deny" (the default): a 502/503 page, never a silent false', () => {
  const site = useSite();
  const opened = useWires();

  for (const trouble of LOOKUP_TROUBLES) {
    it(`${trouble.endpoint}, ${trouble.name}: a ${trouble.status} page and a WeChatStatusUnknownError caused by a ${trouble.cause.name}`, async () => {
      const started = await site.start({
        wechat: { timeout: HANG_TIMEOUT, ...(trouble.tokenSource === undefined ? {} : { tokenSource: trouble.tokenSource }) },
      });
      started.emulator.injectFault(trouble.endpoint, trouble.kind, ENOUGH);
      const { back, page } = await dance(started.visitor(), '/page', { nickname: 'Band' });
      expect(back.status, 'the sign-in itself went through').to.equal(302);
      expectUnavailablePage(page!, trouble.status);
      const error = onlyError(started) as WeChatStatusUnknownError;
      expect(error).to.be.instanceOf(WeChatStatusUnknownError);
      expect(error.status).to.equal(trouble.status);
      expect(error.cause).to.be.instanceOf(trouble.cause);
      expect(error.openid).to.equal(started.emulator.findUser('Band')!.openid);
    });
  }

  it('the token refused for this server IP (40164): a 502 page and a WeChatStatusUnknownError caused by the 40164', async () => {
    const wire = await opened({ refuse: (path) => (path === '/cgi-bin/stable_token' ? 40164 : undefined) });
    const started = await site.start({ wechat: { apiBaseUrl: wire.url } });
    wire.target = started.emulator.url;
    const { page } = await dance(started.visitor(), '/page', { nickname: 'Band' });
    expectUnavailablePage(page!, 502);
    expect(((onlyError(started) as WeChatStatusUnknownError).cause as WeChatApiError).errcode).to.equal(40164);
  });

  it('a JSON request of a signed-in visitor gets {error: "wechat_unavailable"} with the status', async () => {
    const started = await site.start();
    const { page } = await dance(
      started.visitor(),
      '/api/me',
      { nickname: 'Band' },
      {
        beforePage: () => started.emulator.injectFault('/cgi-bin/user/info/batchget', 'html500', ENOUGH),
        pageHeaders: { Accept: 'application/json' },
      },
    );
    expectUnavailableJson(page!, 502, 'ERR_WECHAT_STATUS_UNKNOWN');
    expect(onlyError(started)).to.be.instanceOf(WeChatStatusUnknownError);
  });

  it('an enforce route shows the 503 page to a visitor who does not follow, not the 403 follow page', async () => {
    const started = await site.start({ mount: mountGate({ enforce: true }) });
    started.emulator.injectFault('/cgi-bin/user/info/batchget', 'busy', ENOUGH);
    const { page } = await dance(started.visitor(), '/members', { nickname: 'Visitor' });
    expectUnavailablePage(page!, 503);
    expect(page!.text).to.not.include('wechat_not_subscribed');
    expect(onlyError(started)).to.be.instanceOf(WeChatStatusUnknownError);
  });
});

describe('WeChat down at the subscription lookup, onUnknown "allow": the route runs with isConcern undefined', () => {
  const site = useSite();

  for (const [endpoint, kind] of [
    ['/cgi-bin/user/info/batchget', 'html500'],
    ['/cgi-bin/stable_token', 'busy'],
  ] as const) {
    for (const who of [
      { nickname: 'Band', follows: true },
      { nickname: 'Visitor', follows: false },
    ]) {
      it(`${endpoint} failing (${kind}), a visitor who ${who.follows ? 'follows' : 'does not follow'}: openid set, isConcern undefined, the error on app.on('error')`, async () => {
        const started = await site.start({ mount: mountGate({ onUnknown: 'allow' }) });
        expect(started.emulator.findUser(who.nickname)!.subscribed).to.equal(who.follows);
        started.emulator.injectFault(endpoint, kind, ENOUGH);
        const { page } = await dance(started.visitor(), '/page', { nickname: who.nickname });
        expect(page!.status).to.equal(200);
        expect(page!.body).to.deep.equal({
          reached: true,
          openid: started.emulator.findUser(who.nickname)!.openid,
          isConcern: 'undefined',
          wechatUser: 'undefined',
        });
        expect(onlyError(started)).to.be.instanceOf(WeChatStatusUnknownError);
      });
    }
  }

  it('an enforce route with "allow" lets the visitor through, isConcern undefined, rather than guessing "not following"', async () => {
    const started = await site.start({ mount: mountGate({ onUnknown: 'allow', enforce: true }) });
    started.emulator.injectFault('/cgi-bin/user/info/batchget', 'quota', ENOUGH);
    const { page } = await dance(started.visitor(), '/members', { nickname: 'Visitor' });
    expect(page!.status).to.equal(200);
    expect((page!.body as { isConcern: unknown }).isConcern).to.equal('undefined');
    expect(onlyError(started)).to.be.instanceOf(WeChatStatusUnknownError);
  });
});

/** A failure to force with known secrets in play: at the code exchange, or at a lookup after a good sign-in. */
interface Leakable {
  name: string;
  at: 'exchange' | 'lookup';
  fault?: { endpoint: string; kind: FaultKind };
  /** The path that the wire refuses with 40164. */
  refuse?: string;
  wrongSecret?: true;
  /** Lookups: kill the global token first, so that the failing call is its renewal. */
  revoke?: true;
  onUnknown?: 'allow';
  tokenSource?: 'classic';
}

const EXCHANGE = '/sns/oauth2/access_token';
const BATCH = '/cgi-bin/user/info/batchget';
const LEAKABLES: Leakable[] = [
  ...TROUBLES.map((trouble): Leakable => ({
    name: `the code exchange: ${trouble.name}`,
    at: 'exchange',
    fault: { endpoint: EXCHANGE, kind: trouble.kind },
  })),
  { name: 'the code exchange with a wrong app secret (40125)', at: 'exchange', wrongSecret: true },
  { name: 'the code exchange refused for the server IP (40164)', at: 'exchange', refuse: EXCHANGE },
  ...TROUBLES.map((trouble): Leakable => ({ name: `the lookup: ${trouble.name}`, at: 'lookup', fault: { endpoint: BATCH, kind: trouble.kind } })),
  { name: 'the lookup with onUnknown "allow": an HTML 500', at: 'lookup', fault: { endpoint: BATCH, kind: 'html500' }, onUnknown: 'allow' },
  { name: 'the lookup: a revoked token, its renewal busy', at: 'lookup', revoke: true, fault: { endpoint: '/cgi-bin/stable_token', kind: 'busy' } },
  {
    name: 'the lookup: a revoked classic token, its renewal over quota',
    at: 'lookup',
    revoke: true,
    fault: { endpoint: '/cgi-bin/token', kind: 'quota' },
    tokenSource: 'classic',
  },
  { name: 'the lookup: a revoked token, its renewal refused for the server IP (40164)', at: 'lookup', revoke: true, refuse: '/cgi-bin/stable_token' },
];

/** The session cookies, decoded: koa-session keeps the session as base64 JSON in the browser. */
function decodedCookies(response: Response): string {
  const lines = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
  return lines.map((line) => Buffer.from(line.split(';')[0]!.split('=').slice(1).join('='), 'base64').toString('utf8')).join('\n');
}

describe('secrets never leak from a failure: not in answers, headers, errors or anything printed', () => {
  const site = useSite();
  const opened = useWires();
  const OWN_SECRET = 'faults0own0app0secret0b7e41d9c2a';
  const WRONG_SECRET = 'faults0wrong0secret0c4a90e17f3b6';
  const spies: sinon.SinonSpy[] = [];
  afterEach(() => spies.splice(0).forEach((spy) => spy.restore()));

  for (const leakable of LEAKABLES) {
    it(`${leakable.name}: no secret, token or code anywhere`, async () => {
      const printed: string[] = [];
      // Everything console.* and NODE_DEBUG write goes through these two streams.
      spies.push(sinon.spy(process.stdout, 'write'), sinon.spy(process.stderr, 'write'));
      let refusing = false;
      const wire = await opened({ echo: true, refuse: (path) => (refusing && path === leakable.refuse ? 40164 : undefined) });
      const started = await site.start({
        emulator: { appSecret: OWN_SECRET },
        wechat: {
          apiBaseUrl: wire.url,
          timeout: HANG_TIMEOUT,
          statusTtl: 0,
          logger: { warn: (line) => printed.push(line) },
          ...(leakable.wrongSecret === true ? { appSecret: WRONG_SECRET } : {}),
          ...(leakable.tokenSource === undefined ? {} : { tokenSource: leakable.tokenSource }),
        },
        mount: mountGate({ onUnknown: leakable.onUnknown ?? 'deny' }),
      });
      wire.target = started.emulator.url;
      const inject = (): void => {
        refusing = true;
        if (leakable.revoke === true) started.emulator.revokeToken();
        if (leakable.fault !== undefined) started.emulator.injectFault(leakable.fault.endpoint, leakable.fault.kind, ENOUGH);
      };
      const browser = started.visitor();
      const seen: Response[] = [];
      const { callback } = await dance(
        browser,
        '/page',
        { nickname: 'Band' },
        { beforeCallback: leakable.at === 'exchange' ? inject : undefined },
        seen,
      );
      if (leakable.at === 'lookup') {
        expect(seen.at(-1)!.status, 'the sign-in and first lookup went through').to.equal(200);
        inject();
        seen.push(await browser.get('/page'), await browser.get('/api', { Accept: 'application/json' }));
      }
      for (const spy of spies.splice(0)) {
        spy.restore();
        printed.push(...spy.args.map((args) => String(args[0])));
      }

      // The failure happened, with the secrets we know of in play.
      expect(started.errors.length, 'the failure reached app.on("error")').to.be.at.least(1);
      const secrets = [...wire.secrets, callback.searchParams.get('code')!];
      expect(secrets).to.include(leakable.wrongSecret === true ? WRONG_SECRET : OWN_SECRET);
      expect(wire.secrets.size, 'secret, code, and for lookups the OAuth and global tokens').to.be.at.least(leakable.at === 'lookup' ? 5 : 2);
      if (!['hang', 'reset'].includes(leakable.fault?.kind ?? ''))
        expect(wire.echoed, "WeChat's failed answer repeated the secrets").to.be.at.least(1);

      const answers = seen.map((response) => `${JSON.stringify(response.headers)}\n${response.text}\n${decodedCookies(response)}`);
      for (const [where, texts] of [
        ['answers', answers],
        ['errors', started.errors.flatMap(serializations)],
        ['printed', printed],
      ] as const) {
        expect(leaksIn(texts.join('\n'), secrets), where).to.deep.equal([]);
      }
      for (const response of seen) expect(response.text).to.not.include('    at ');
    });
  }
});
