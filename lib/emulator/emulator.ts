/**
 * The local WeChat: a Koa app that answers the API endpoints, plays the phone during web authorization, and
 * has a console; plus the programmatic handle that tests use to add users, count calls and inject faults.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { debug } from '../util/debug.js';
import {
  resolveEmulatorOptions,
  resolvePush,
  type EmulatorOptions,
  type PushOptions,
  type ResolvedEmulatorOptions,
  type SeedUser,
} from './options.js';
import type { PushDelivery } from './push-sender.js';
import { authorizeRoutes } from './routes/authorize.js';
import { consoleRoutes } from './routes/console.js';
import { API_ENDPOINTS, apiRoutes } from './routes/api.js';
import { ANY_ENDPOINT, type FaultKind } from './state/faults.js';
import type { TokenKind } from './state/global-tokens.js';
import { createState, createUserNow, type EmulatorState, type Switches } from './state/index.js';
import type { EmulatorUser } from './state/users.js';

export class Emulator {
  /** The Koa app: mount it (`app.callback()`) or let {@link Emulator.listen} serve it. */
  readonly app: Koa;
  readonly #state: EmulatorState;
  #server: Server | undefined;
  #url: string | undefined;

  /** @throws {TypeError} when an option is wrong; the message names it. */
  constructor(options: EmulatorOptions = {}) {
    this.#state = createState(resolveEmulatorOptions(options));
    this.app = buildApp(this.#state, this);
  }

  /** The validated options, the AppID and the AppSecret included: the emulator's credentials are not secret. */
  get options(): ResolvedEmulatorOptions {
    return this.#state.options;
  }

  get appId(): string {
    return this.#state.options.appId;
  }

  get appSecret(): string {
    return this.#state.options.appSecret;
  }

  /** `http://127.0.0.1:PORT` once listening: both `apiBaseUrl` and `oauthBaseUrl` of a client. */
  get url(): string {
    if (this.#url === undefined) throw new Error('the emulator is not listening: call listen() first');
    return this.#url;
  }

  /** Serves the app; port 0 (the default) takes a free port. Resolves with the URL. */
  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.#server !== undefined) throw new Error('the emulator is listening already');
    const handle = this.app.callback();
    const server = createServer((request, response) => void handle(request, response));
    // A hung fault keeps its request open; keep-alive sockets must not hold close() up either.
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    this.#server = server;
    this.#url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
    return this.#url;
  }

  /** Stops serving, cutting open connections (hung faults included), and waits for pushes in flight. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    }
    await this.#state.pushes.settled();
  }

  // Test users

  users(): EmulatorUser[] {
    return this.#state.users.list();
  }

  /** By nickname or openid. */
  findUser(nicknameOrOpenid: string): EmulatorUser | undefined {
    return this.#state.users.get(nicknameOrOpenid) ?? this.#state.users.findByNickname(nicknameOrOpenid);
  }

  /** Creates a user; one created following has just followed, so the push URL hears of it. */
  createUser(user: SeedUser): EmulatorUser {
    return createUserNow(this.#state, user);
  }

  /** Follows the account now and sends the `subscribe` push; resolves once the push is settled. */
  async follow(openid: string): Promise<{ user: EmulatorUser; push: PushDelivery | undefined }> {
    return this.#setSubscribed(openid, true);
  }

  /** Unfollows and sends the `unsubscribe` push; resolves once the push is settled. */
  async unfollow(openid: string): Promise<{ user: EmulatorUser; push: PushDelivery | undefined }> {
    return this.#setSubscribed(openid, false);
  }

  /** As when the user changes their password: their OAuth and refresh tokens stop working (42007). */
  revokeUserTokens(openid: string): void {
    this.#state.grants.revokeUser(openid);
  }

  // Traffic

  /** Calls to one endpoint, such as `/cgi-bin/token`, since the start or the last reset. */
  calls(path: string): number {
    return this.#state.traffic.calls(path);
  }

  counters(): Record<string, number> {
    return this.#state.traffic.counters();
  }

  resetCounters(): void {
    this.#state.traffic.resetCounters();
  }

  /** The latest requests, secrets masked. */
  requests() {
    return this.#state.traffic.recent();
  }

  // Faults

  /** The next `times` calls of `endpoint` (a path such as `/cgi-bin/token`, or `*` for any) answer with `kind`. */
  injectFault(endpoint: string, kind: FaultKind, times = 1): void {
    if (endpoint !== ANY_ENDPOINT && !API_ENDPOINTS.some((each) => each.path === endpoint)) {
      throw new TypeError(`unknown endpoint ${JSON.stringify(endpoint)}: use one of ${API_ENDPOINTS.map((each) => each.path).join(', ')} or *`);
    }
    this.#state.faults.inject(endpoint, kind, times);
  }

  clearFaults(): void {
    this.#state.faults.clear();
  }

  /** Kills the current global token(s) now, as if another server had refreshed them. Returns how many died. */
  revokeToken(kind: TokenKind | 'all' = 'all'): number {
    if (kind !== 'all' && kind !== 'classic' && kind !== 'stable') throw new TypeError('kind must be classic, stable or all');
    return this.#state.tokens.revoke(kind);
  }

  /** Moves the emulator's clock forward: tokens, codes and quota days age with it. */
  advanceClock(seconds: number): void {
    this.#state.clock.advance(seconds);
  }

  setSwitches(switches: Partial<Switches>): void {
    if (switches.doubleRedirect !== undefined) this.#state.switches.doubleRedirect = switches.doubleRedirect === true;
    if (switches.onRefuse !== undefined) {
      if (switches.onRefuse !== 'stay' && switches.onRefuse !== 'redirect') throw new TypeError('onRefuse must be stay or redirect');
      this.#state.switches.onRefuse = switches.onRefuse;
    }
  }

  // Pushes

  pushes(): readonly PushDelivery[] {
    return this.#state.pushes.deliveries();
  }

  /** Resolves once every push started so far has been delivered or given up. */
  async pushesSettled(): Promise<void> {
    await this.#state.pushes.settled();
  }

  /**
   * Saves the server configuration (服务器配置) while the emulator runs, as the MP console does: for a site whose
   * port is known only once it listens. `undefined` turns pushes off.
   * @throws {TypeError} for a wrong URL, token, mode or key.
   */
  configurePush(push: PushOptions | undefined): void {
    this.#state.pushes.configure(push === undefined ? undefined : resolvePush(push, this.#state.options.appId));
  }

  /** The MP console's URL check: a signed GET with `echostr` that the site must echo. */
  async verifyPushUrl(): Promise<{ ok: boolean; status: number | undefined; error: string | undefined }> {
    return this.#state.pushes.verify();
  }

  /** Everything the console shows, as JSON (no token or code values). */
  snapshot() {
    const state = this.#state;
    return {
      appId: state.options.appId,
      accountName: state.options.accountName,
      now: state.clock.now(),
      users: state.users.list(),
      counters: state.traffic.counters(),
      quotas: state.traffic.quotaUse(),
      requests: state.traffic.recent(),
      faults: state.faults.pending(),
      tokens: state.tokens.live(),
      switches: { ...state.switches },
      pushes: state.pushes.deliveries(),
    };
  }

  async #setSubscribed(openid: string, subscribed: boolean): Promise<{ user: EmulatorUser; push: PushDelivery | undefined }> {
    const known = this.#state.users.get(openid);
    if (known === undefined) throw new TypeError('no user has this openid');
    const changed = this.#state.users.setSubscribed(openid, subscribed);
    if (changed === undefined) return { user: known, push: undefined };
    const push = await this.#state.pushes.send(subscribed ? 'subscribe' : 'unsubscribe', openid);
    return { user: changed, push };
  }
}

/** Creates an emulator; call `listen()` to serve it, or mount `emulator.app`. */
export function createEmulator(options: EmulatorOptions = {}): Emulator {
  return new Emulator(options);
}

/** Creates an emulator and serves it on a free port of 127.0.0.1 (or `port`). */
export async function startEmulator(options: EmulatorOptions & { port?: number; host?: string } = {}): Promise<Emulator> {
  const { port, host, ...rest } = options;
  const emulator = new Emulator(rest);
  await emulator.listen(port, host);
  return emulator;
}

function buildApp(state: EmulatorState, emulator: Emulator): Koa {
  const app = new Koa();
  // A client that gives up (a hang fault's purpose) is not an error worth printing.
  app.silent = true;
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      // The emulator answers every request, and never with a stack.
      debug('emulator: %s %s failed: %s', ctx.method, ctx.path, error instanceof Error ? error.message : String(error));
      ctx.status = 500;
      ctx.type = 'text/plain';
      ctx.body = 'the emulator failed to answer this request';
    }
  });
  app.use(apiRoutes(state));
  app.use(authorizeRoutes(state));
  app.use(
    consoleRoutes(
      state,
      emulator,
      API_ENDPOINTS.map((endpoint) => endpoint.path),
    ),
  );
  app.use((ctx) => {
    ctx.status = 404;
    ctx.type = 'text/plain';
    ctx.body = `the emulator has no ${ctx.path}`;
  });
  return app;
}
