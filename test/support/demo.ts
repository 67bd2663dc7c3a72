/**
 * The demo site in-process, as `npm start` wires it (`startDemo` of demo/start.ts) on a free port, with its log
 * lines captured and every request the server received noted; and, when asked, a recording hop between the
 * site and the emulator's API, so that a test knows every token and code that crossed the wire.
 */
import type { Server } from 'node:http';
import { readConfig, type DemoConfig } from '../../demo/config.js';
import { startDemoEmulator } from '../../demo/embedded-emulator.js';
import { startDemo, type RunningDemo } from '../../demo/start.js';
import { createWeChat } from '../../lib/index.js';
import { createWeChatOfItsOwn } from '../../lib/create-wechat.js';
import type { Emulator } from '../../lib/emulator/index.js';
import { Visitor } from './site.js';
import { startTapProxy, type TapProxy, type TappedCall } from './tap-proxy.js';

/** The demo's environment variables, as `readConfig` takes them. */
export type DemoEnv = Parameters<typeof readConfig>[0];

/** A request log line: `METHOD /path STATUS N.Nms`, the path without its query, then ` ! <error>` if one was reported. */
export const REQUEST_LINE = /^([A-Z]+) (\/[^ ?#]*) (\d{3}) (\d+\.\d)ms(?: ! (.+))?$/;

export interface DemoUnderTest {
  demo: RunningDemo;
  config: DemoConfig;
  /** The WeChat the demo talks to: its embedded emulator, or the one behind the wire recorder. */
  emulator: Emulator;
  /** Every line the demo logged, in order. */
  log: string[];
  /** `METHOD /path` of every request the demo's server received, in order. */
  received: string[];
  /** The recording hop, when started with `wire: true`. */
  wire: TapProxy | undefined;
  /** A new browser with its own cookies. */
  visitor(): Visitor;
}

export interface DemoStartOptions {
  /** Variables on top of `PORT=0` (a dev config: no WECHAT_*, generated session keys). */
  env?: DemoEnv;
  /**
   * Put a recording hop between the site and the emulator's API. The demo then runs on a "real account" whose
   * WECHAT_API_BASE is the hop (the emulator's own credentials), since the embedded wiring gives no place for one.
   */
  wire?: boolean;
}

/** Call inside a `describe`: registers the `afterEach` that closes what `start` opened. */
export function useDemo(): { start(options?: DemoStartOptions): Promise<DemoUnderTest> } {
  const opened: Array<() => Promise<void>> = [];
  let demos = 0;
  afterEach(async () => {
    for (const close of opened.splice(0).reverse()) await close();
    demos = 0;
  });
  return {
    async start({ env = {}, wire = false } = {}) {
      let emulator: Emulator | undefined;
      let recorder: TapProxy | undefined;
      let account: DemoEnv = {};
      if (wire) {
        emulator = await startDemoEmulator(0, undefined);
        opened.push(() => emulator!.close());
        recorder = await startTapProxy(emulator.url);
        opened.push(() => recorder!.close());
        account = {
          WECHAT_APP_ID: emulator.appId,
          WECHAT_APP_SECRET: emulator.appSecret,
          WECHAT_API_BASE: recorder.url,
          WECHAT_OAUTH_BASE: emulator.url,
        };
      }
      const config = readConfig({ PORT: '0', ...account, ...env });
      const log: string[] = [];
      // A second demo of one test plays another process: services of its own, outside this process's registry.
      const demo = await startDemo(config, (line) => log.push(line), demos++ === 0 ? createWeChat : createWeChatOfItsOwn);
      opened.push(() => demo.close());
      const received: string[] = [];
      demo.server.on('request', (incoming: { method?: string; url?: string }) => {
        received.push(`${incoming.method} ${new URL(incoming.url ?? '/', 'http://demo').pathname}`);
      });
      const server: Server = demo.server;
      return {
        demo,
        config,
        emulator: emulator ?? demo.emulator!,
        log,
        received,
        wire: recorder,
        visitor: () => new Visitor(server, demo.url),
      };
    },
  };
}

const SECRET_PARAMETERS = ['access_token', 'refresh_token', 'code', 'secret'];

/** Every token, refresh token, code and secret that crossed the hop, in a query or in a JSON body. */
export function secretsCrossing(calls: readonly TappedCall[]): string[] {
  const found = new Set<string>();
  for (const call of calls) {
    const query = new URL(call.url, 'http://wire').searchParams;
    for (const name of SECRET_PARAMETERS) for (const value of query.getAll(name)) found.add(value);
    for (const body of [call.requestBody, call.responseBody]) {
      for (const match of body.matchAll(/"(access_token|refresh_token|secret|code)"\s*:\s*"([^"]+)"/g)) found.add(match[2]!);
    }
  }
  return [...found].filter((value) => value !== '');
}
