/**
 * The demo site in-process, as `npm start` wires it (`startDemo` of demo/start.ts) on a free port, with its log
 * lines captured and every request the server received noted; and, when asked, a recording hop between the
 * site and the emulator's API, so that a test knows every token and code that crossed the wire.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readConfig, type DemoConfig } from '../../demo/config.js';
import { startDemoEmulator } from '../../demo/embedded-emulator.js';
import { startDemo, type RunningDemo } from '../../demo/start.js';
import type { Emulator } from '../../lib/emulator/index.js';
import { Visitor } from './site.js';

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
  wire: WireRecorder | undefined;
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
  afterEach(async () => {
    for (const close of opened.splice(0).reverse()) await close();
  });
  return {
    async start({ env = {}, wire = false } = {}) {
      let emulator: Emulator | undefined;
      let recorder: WireRecorder | undefined;
      let account: DemoEnv = {};
      if (wire) {
        emulator = await startDemoEmulator(0, undefined);
        opened.push(() => emulator!.close());
        recorder = await startWireRecorder(emulator.url);
        opened.push(() => recorder!.close());
        account = { WECHAT_APP_ID: emulator.appId, WECHAT_APP_SECRET: emulator.appSecret, WECHAT_API_BASE: recorder.url, WECHAT_OAUTH_BASE: emulator.url };
      }
      const config = readConfig({ PORT: '0', ...account, ...env });
      const log: string[] = [];
      const demo = await startDemo(config, (line) => log.push(line));
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

/** One call that crossed the recording hop. */
export interface WireCall {
  method: string;
  /** Path and query, as sent. */
  url: string;
  requestBody: string;
  status: number;
  responseBody: string;
}

export interface WireRecorder {
  /** Give it as the API base URL. */
  readonly url: string;
  readonly calls: WireCall[];
  /** Every token, refresh token, code and secret that crossed the hop, in a query or in a JSON body. */
  secrets(): string[];
  close(): Promise<void>;
}

const SECRET_PARAMETERS = ['access_token', 'refresh_token', 'code', 'secret'];

/** A real HTTP hop to `target` that keeps each call: request line, bodies and status. */
export async function startWireRecorder(target: string): Promise<WireRecorder> {
  const calls: WireCall[] = [];
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const requestBody = Buffer.concat(chunks);
      // No compression on the way back, so that the recorded body is readable.
      const headers = { ...incoming.headers, 'accept-encoding': 'identity' };
      const upstream = request(new URL(incoming.url ?? '/', target), { method: incoming.method, headers }, (answer) => {
        const answerChunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => answerChunks.push(chunk));
        answer.on('end', () => {
          const body = Buffer.concat(answerChunks);
          calls.push({ method: incoming.method ?? 'GET', url: incoming.url ?? '/', requestBody: requestBody.toString(), status: answer.statusCode ?? 0, responseBody: body.toString() });
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          outgoing.end(body);
        });
      });
      upstream.on('error', () => outgoing.destroy());
      upstream.end(requestBody);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    secrets() {
      const found = new Set<string>();
      for (const call of calls) {
        const query = new URL(call.url, 'http://wire').searchParams;
        for (const name of SECRET_PARAMETERS) for (const value of query.getAll(name)) found.add(value);
        for (const body of [call.requestBody, call.responseBody]) {
          for (const match of body.matchAll(/"(access_token|refresh_token|secret|code)"\s*:\s*"([^"]+)"/g)) found.add(match[2]!);
        }
      }
      return [...found].filter((value) => value !== '');
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
