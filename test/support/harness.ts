/** One fake WeChat and one client per test, both closed after it. */
import type { WeChatClient, WeChatClientOptions } from '../../lib/index.js';
import { startFakeWeChat, type FakeWeChat, type Routes } from './fake-wechat.js';
import { makeClient } from './fixtures.js';

export interface Harness {
  /** Starts the fake server with these routes and a fast-failing client aimed at it. */
  start(routes: Routes, overrides?: Partial<WeChatClientOptions>): Promise<WeChatClient>;
  /** Closes this client after the test too (for clients aimed elsewhere, such as a closed port). */
  adopt(client: WeChatClient): WeChatClient;
  /** The current test's server. */
  readonly server: FakeWeChat;
}

/** Call inside a `describe`: registers the `afterEach` that closes what `start` opened. */
export function useFakeWeChat(): Harness {
  let server: FakeWeChat | undefined;
  let client: WeChatClient | undefined;
  afterEach(async () => {
    client?.close();
    await server?.close();
    server = undefined;
    client = undefined;
  });
  return {
    async start(routes, overrides = {}) {
      server = await startFakeWeChat(routes);
      client = makeClient(server.url, overrides);
      return client;
    },
    adopt(adopted) {
      client = adopted;
      return adopted;
    },
    get server() {
      if (server === undefined) throw new Error('call start() first');
      return server;
    },
  };
}
