/** A fresh emulator per test, and a client aimed at it; both closed after the test. */
import { WeChatClient, type WeChatClientOptions } from '../../lib/index.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../lib/emulator/index.js';
import { FAST_FAILING } from './fixtures.js';

export const EMULATOR_SEED = 'koa-wechat-subscription tests';

export interface EmulatorHarness {
  /** Starts an emulator with these options (a fixed seed unless told otherwise) and a fast-failing client. */
  start(options?: EmulatorOptions, client?: Partial<WeChatClientOptions>): Promise<{ emulator: Emulator; client: WeChatClient }>;
  readonly emulator: Emulator;
  readonly client: WeChatClient;
}

/** Call inside a `describe`: registers the `afterEach` that closes what `start` opened. */
export function useEmulator(): EmulatorHarness {
  let emulator: Emulator | undefined;
  let client: WeChatClient | undefined;
  afterEach(async () => {
    client?.close();
    await emulator?.close();
    emulator = undefined;
    client = undefined;
  });
  return {
    async start(options = {}, clientOptions = {}) {
      emulator = await startEmulator({ seed: EMULATOR_SEED, ...options });
      client = new WeChatClient({
        appId: emulator.appId,
        appSecret: emulator.appSecret,
        apiBaseUrl: emulator.url,
        oauthBaseUrl: emulator.url,
        ...FAST_FAILING,
        ...clientOptions,
      });
      return { emulator, client };
    },
    get emulator() {
      if (emulator === undefined) throw new Error('call start() first');
      return emulator;
    },
    get client() {
      if (client === undefined) throw new Error('call start() first');
      return client;
    },
  };
}

/** A redirect_uri on an allowed host. */
export const CALLBACK = 'http://localhost:3000/wechat/callback';

/**
 * Runs web authorization as a script would: `emulator_user=<name>` after state picks (or creates) the user
 * without a page. Resolves with the callback URL the emulator redirected to.
 */
export async function authorizeAs(
  client: WeChatClient,
  nickname: string,
  options: { scope?: 'snsapi_base' | 'snsapi_userinfo'; subscribe?: boolean; extra?: Record<string, string>; state?: string } = {},
): Promise<URL> {
  const url = client.authorizeUrl({ redirectUri: CALLBACK, state: options.state ?? 'state123', scope: options.scope ?? 'snsapi_base' });
  const extra = new URLSearchParams({
    emulator_user: nickname,
    ...(options.subscribe === undefined ? {} : { emulator_subscribe: options.subscribe ? '1' : '0' }),
    ...options.extra,
  });
  const response = await fetch(url.replace('#wechat_redirect', `&${extra.toString()}#wechat_redirect`), { redirect: 'manual' });
  const location = response.headers.get('location');
  if (response.status !== 302 || location === null)
    throw new Error(`expected a redirect to the callback, got ${response.status}: ${(await response.text()).slice(0, 300)}`);
  return new URL(location);
}

/** The code of a callback URL. */
export function codeOf(callback: URL): string {
  const code = callback.searchParams.get('code');
  if (code === null) throw new Error(`no code in ${callback.href}`);
  return code;
}
