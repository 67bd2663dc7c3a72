/**
 * A real Koa site on a real port, with koa-session and the middleware, aimed at a fresh emulator; and
 * visitors, each with their own cookie jar, who go through the whole dance as a browser would.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import session from 'koa-session';
import supertest from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { createWeChat, type WeChat, type WeChatOptions } from '../../lib/index.js';
import { createWeChatOfItsOwn } from '../../lib/create-wechat.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../lib/emulator/index.js';
import { EMULATOR_SEED } from './emulator.js';
import { KOA_UNDER_TEST } from './koa-under-test.js';
import { optionsFor } from './services.js';

export const SESSION_KEYS = ['koa-wechat-subscription test key, long and random enough'];

/** What each test route answers: the contract of `ctx.state`, as JSON. */
export function echoState(ctx: Koa.Context): void {
  ctx.body = {
    path: ctx.path,
    query: ctx.querystring,
    openid: ctx.state.openid,
    isConcern: ctx.state.isConcern ?? null,
    wechatUser: ctx.state.wechatUser ?? null,
  };
}

export interface SiteOptions {
  emulator?: EmulatorOptions;
  /** Another site on this emulator (closed by its first site), as a second process of one deployment. */
  on?: Emulator;
  wechat?: Partial<WeChatOptions>;
  /** Mounts the routes under test; default: `wechat.routes()` then `requireSubscription()` for every path, echoing the state. */
  mount?: (app: Koa, wechat: WeChat) => void;
  /** Set `app.proxy`. */
  proxy?: boolean;
  /** Skip `app.keys` or the session, to test the setup errors. */
  withoutKeys?: boolean;
  withoutSession?: boolean;
  /** `app.keys` as a mistaken setup leaves them (`[process.env.SESSION_KEY]` with the variable unset); default {@link SESSION_KEYS}. */
  keys?: unknown[];
}

export interface Site {
  emulator: Emulator;
  wechat: WeChat;
  app: Koa;
  server: Server;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Errors the app emitted (`app.on('error')`). */
  errors: unknown[];
  /** A new browser, with its own cookies (a plain function: it may be passed around). */
  visitor: () => Visitor;
}

/**
 * The dedicated callback path of sites whose OAuth setup wants one. Suites of the callback endpoint itself run
 * with it; without it, WeChat returns to the gated URL.
 */
export const DEDICATED_CALLBACK: SiteOptions = { wechat: { callbackPath: '/wechat/callback' } };

/** Call inside a `describe`: registers the `afterEach` that closes what `start` opened. `defaults` apply to every start. */
export function useSite(defaults: SiteOptions = {}): { start(options?: SiteOptions): Promise<Site> } {
  const opened: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of opened.splice(0).reverse()) await close();
  });
  return {
    async start(given = {}) {
      const options: SiteOptions = { ...defaults, ...given, wechat: { ...defaults.wechat, ...given.wechat } };
      let emulator = options.on;
      if (emulator === undefined) {
        const started = await startEmulator({ seed: EMULATOR_SEED, ...options.emulator });
        opened.push(() => started.close());
        emulator = started;
      }
      // A second site on one emulator plays another process: services of its own, outside this process's registry.
      const wechat = (options.on === undefined ? createWeChat : createWeChatOfItsOwn)(optionsFor(emulator, options.wechat));
      opened.push(() => wechat.close());
      const app = new KOA_UNDER_TEST.Koa();
      app.proxy = options.proxy ?? false;
      if (options.withoutKeys !== true) app.keys = (options.keys ?? SESSION_KEYS) as string[];
      const errors: unknown[] = [];
      app.silent = true;
      app.on('error', (error) => errors.push(error));
      if (options.withoutSession !== true) app.use(session({ sameSite: 'lax' }, app));
      if (options.mount !== undefined) options.mount(app, wechat);
      else {
        app.use(wechat.routes());
        app.use(wechat.requireSubscription());
        app.use((ctx) => echoState(ctx));
      }
      const server = app.listen(0, '127.0.0.1');
      await new Promise<void>((resolve) => server.once('listening', resolve));
      opened.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      return { emulator, wechat, app, server, url, errors, visitor: () => new Visitor(server, url) };
    },
  };
}

export interface SignInChoice {
  /** The emulator's test user, created when missing. */
  nickname: string;
  /** Whether a new user follows. */
  subscribe?: boolean;
  consent?: 'allow' | 'refuse';
  snapshot?: boolean;
}

/** One browser: cookies for the site (a supertest agent) and WeChat's side played by the emulator's script parameters. */
export class Visitor {
  readonly agent: TestAgent;
  readonly url: string;

  constructor(server: Server, url: string) {
    this.agent = supertest.agent(server);
    this.url = url;
  }

  /** The `Cookie` header this browser sends to the site: to carry its session to another process of the deployment. */
  cookieHeader(): string {
    // superagent keeps an agent's cookies in a cookiejar `jar`, which reads any { domain, path, secure, script } (script: false, or it hides httpOnly cookies).
    const { jar } = this.agent as unknown as { jar: { getCookies(access: object): { toValueString(): string } } };
    return jar.getCookies({ domain: new URL(this.url).hostname, path: '/', secure: false, script: false }).toValueString();
  }

  get(path: string, headers: Record<string, string> = {}) {
    return this.agent
      .get(path)
      .set({ Accept: 'text/html', ...headers })
      .redirects(0);
  }

  /** WeChat's side: the authorize URL answered as `who` would; resolves with the callback URL WeChat sends back to. */
  async authorize(authorizeUrl: string, who: SignInChoice): Promise<URL> {
    const response = await this.wechat(authorizeUrl, who);
    const location = response.headers.get('location');
    if (response.status !== 302 || location === null)
      throw new Error(`WeChat did not redirect: ${response.status} ${(await response.text()).slice(0, 300)}`);
    return new URL(location);
  }

  /** The raw answer of WeChat's authorize page for `who`. */
  async wechat(authorizeUrl: string, who: SignInChoice): Promise<Response> {
    const extra = new URLSearchParams({ emulator_user: who.nickname });
    if (who.subscribe !== undefined) extra.set('emulator_subscribe', who.subscribe ? '1' : '0');
    if (who.consent !== undefined) extra.set('emulator_consent', who.consent);
    if (who.snapshot === true) extra.set('emulator_snapshot', '1');
    const [base, fragment] = authorizeUrl.split('#');
    return fetch(`${base}&${extra.toString()}${fragment === undefined ? '' : `#${fragment}`}`, { redirect: 'manual' });
  }

  /** Follows the site's callback (a path and query on the site). */
  callback(callback: URL) {
    return this.get(`${callback.pathname}${callback.search}`);
  }

  /**
   * The whole dance for `path`: the site sends the browser to WeChat, WeChat back to the callback, the callback
   * to the page. Resolves with the page's answer, and the callback URL (to replay it).
   */
  async signIn(path: string, who: SignInChoice, headers: Record<string, string> = {}) {
    const first = await this.get(path, headers);
    if (first.status !== 302) throw new Error(`expected a redirect to WeChat from ${path}, got ${first.status} ${first.text.slice(0, 200)}`);
    const callback = await this.authorize(first.headers.location!, who);
    const back = await this.callback(callback);
    if (back.status !== 302) throw new Error(`expected the callback to redirect, got ${back.status} ${back.text.slice(0, 300)}`);
    const page = await this.get(back.headers.location!, headers);
    return { page, callback, returnTo: back.headers.location! };
  }
}
