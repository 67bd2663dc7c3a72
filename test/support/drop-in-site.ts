/**
 * A site written as the README shows it, with the one-line `requireSubscription({ ... })` and nothing else of
 * the library mounted: a real Koa app (Koa 3 or Koa 2) on a real port, koa-session, and the drop-ins that
 * `mount` places, all aimed at a fresh emulator. `browse` follows every redirect as a browser would, with a cap.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import Koa2 from 'koa2';
import session from 'koa-session';
import type { Response } from 'supertest';
import { requireSubscription, type DropInMiddleware, type RequireSubscriptionOptions } from '../../lib/index.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../lib/emulator/index.js';
import { EMULATOR_SEED } from './emulator.js';
import { KOA_UNDER_TEST } from './koa-under-test.js';
import { FAST_FAILING } from './fixtures.js';
import { SESSION_KEYS, Visitor, type SignInChoice } from './site.js';

export type KoaClass = typeof Koa;

/** The Koa versions the middleware supports (`peerDependencies`), for `for (const { name, Koa } of KOA_CLASSES) describe(...)`. */
export const KOA_CLASSES: ReadonlyArray<{ name: string; Koa: KoaClass }> = [
  { name: 'Koa 3', Koa },
  { name: 'Koa 2', Koa: Koa2 },
];

/** Makes a drop-in aimed at the site's emulator; `options` go on top of the AppID, secret and emulator URLs. */
export type MakeDropIn = (options?: Partial<RequireSubscriptionOptions>) => DropInMiddleware;

export interface DropInSiteOptions {
  /** Default: the Koa under test (Koa 3, or Koa 2 with KOA_MAJOR=2). */
  Koa?: KoaClass;
  emulator?: EmulatorOptions;
  /** Mount `session(app)` first (default true); false leaves the session to `mount`, to test the order. */
  session?: boolean;
  /** The site's middleware, as its developer would write it. */
  mount: (app: Koa, dropIn: MakeDropIn) => void;
}

export interface DropInSite {
  emulator: Emulator;
  app: Koa;
  server: Server;
  url: string;
  /** Errors the app emitted (`app.on('error')`). */
  errors: unknown[];
  /** Every drop-in `mount` made, in order. */
  dropIns: DropInMiddleware[];
  /** The service options every drop-in of this site starts from (AppID, secret, emulator URLs, fast failing). */
  serviceOptions: RequireSubscriptionOptions;
  visitor: () => Visitor;
}

/** Call inside a `describe`: registers the `afterEach` that closes servers, drop-ins (`wechat.close()`) and emulators. */
export function useDropInSite(): { start(options: DropInSiteOptions): Promise<DropInSite> } {
  const opened: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of opened.splice(0).reverse()) await close();
  });
  return {
    async start(options) {
      const emulator = await startEmulator({ seed: EMULATOR_SEED, ...options.emulator });
      opened.push(() => emulator.close());
      const serviceOptions: RequireSubscriptionOptions = {
        appId: emulator.appId,
        appSecret: emulator.appSecret,
        apiBaseUrl: emulator.url,
        oauthBaseUrl: emulator.url,
        ...FAST_FAILING,
      };
      const dropIns: DropInMiddleware[] = [];
      const dropIn: MakeDropIn = (extra = {}) => {
        const middleware = requireSubscription({ ...serviceOptions, ...extra });
        dropIns.push(middleware);
        opened.push(() => middleware.wechat.close());
        return middleware;
      };
      const KoaClass = options.Koa ?? KOA_UNDER_TEST.Koa;
      const app = new KoaClass();
      app.keys = SESSION_KEYS;
      app.silent = true;
      const errors: unknown[] = [];
      app.on('error', (error) => errors.push(error));
      if (options.session !== false) app.use(session({ sameSite: 'lax' }, app));
      options.mount(app, dropIn);
      const server = app.listen(0, '127.0.0.1');
      await new Promise<void>((resolve) => server.once('listening', resolve));
      opened.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      return { emulator, app, server, url, errors, dropIns, serviceOptions, visitor: () => new Visitor(server, url) };
    },
  };
}

export interface Browsed {
  /** The last answer: a page, or the redirect at which the cap stopped the browser. */
  response: Response;
  /** Redirects followed, on the site and to WeChat. */
  hops: number;
  /** Trips through WeChat's authorize page. */
  trips: number;
  /** Every site URL requested (path and query), in order. */
  visited: string[];
  /** The callback URLs WeChat sent the browser to. */
  callbacks: URL[];
  /** False when the cap stopped a browser still being redirected: a loop. */
  ended: boolean;
}

export interface BrowseOptions {
  /** Most redirects to follow. Default 10: a sign-in takes 3 (to WeChat, to the callback, to the page). */
  cap?: number;
  headers?: Record<string, string>;
  /** WeChat's side; default `browser.authorize(url, who)`. Answers the callback URL WeChat sends back to. */
  wechat?: (authorizeUrl: string) => Promise<URL>;
}

/** Follows redirects from `path` as a browser does, WeChat played as `who`, until a page or `cap` redirects. */
export async function browse(browser: Visitor, emulator: Emulator, path: string, who: SignInChoice, options: BrowseOptions = {}): Promise<Browsed> {
  const { cap = 10, headers = {}, wechat = (url: string) => browser.authorize(url, who) } = options;
  const authorize = `${emulator.url}/connect/oauth2/authorize`;
  const visited = [path];
  const callbacks: URL[] = [];
  let response = await browser.get(path, headers);
  let hops = 0;
  let trips = 0;
  while (response.status >= 300 && response.status < 400 && hops < cap) {
    hops++;
    const location = response.headers.location!;
    if (location.startsWith(authorize)) {
      trips++;
      const callback = await wechat(location);
      if (callback.origin !== browser.url) throw new Error(`WeChat sent the browser off the site, to ${callback.href}`);
      callbacks.push(callback);
      hops++;
      visited.push(`${callback.pathname}${callback.search}`);
      response = await browser.callback(callback);
    } else {
      const next = new URL(location, browser.url);
      if (next.origin !== browser.url) throw new Error(`the site redirected off itself, to ${next.href}`);
      visited.push(`${next.pathname}${next.search}`);
      response = await browser.get(`${next.pathname}${next.search}`, headers);
    }
  }
  const ended = !(response.status >= 300 && response.status < 400);
  return { response, hops, trips, visited, callbacks, ended };
}

/** One line that says where a browse ended, for assertion messages. */
export function describeBrowse(browsed: Browsed): string {
  const { response } = browsed;
  const errorCode = /data-error="([^"]*)"/.exec(response.text ?? '')?.[1];
  const what =
    response.status >= 300 && response.status < 400 ? `-> ${response.headers.location}` : (errorCode ?? (response.text ?? '').slice(0, 200));
  return `${browsed.hops} redirects, ${browsed.trips} trips to WeChat, ended ${response.status} ${what}; visited ${browsed.visited.join(' , ')}`;
}

/**
 * The `Cookie` header a browser sends after an answer's `Set-Cookie`: `cookie` with each cookie set replaced,
 * and each expired one (koa-session's way to delete) dropped. For requests played with a cookie of the past.
 */
export function afterSetCookies(cookie: string, setCookie: string[] | string | undefined): string {
  const jar = new Map(
    cookie
      .split(/;\s*/)
      .filter((pair) => pair.includes('='))
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
  for (const line of typeof setCookie === 'string' ? [setCookie] : (setCookie ?? [])) {
    const [pair = '', ...attributes] = line.split(/;\s*/);
    const name = pair.slice(0, pair.indexOf('='));
    const expires = attributes.find((attribute) => /^expires=/i.test(attribute));
    const expired = expires !== undefined && Date.parse(expires.slice('expires='.length)) <= Date.now();
    if (expired) jar.delete(name);
    else jar.set(name, pair.slice(pair.indexOf('=') + 1));
  }
  return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
}
