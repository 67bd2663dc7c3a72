/**
 * A site's push endpoint, for the emulator's push sender to call: records every request and answers each
 * with the next behaviour of a programmable list, so that retries and bad answers can be tested.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * How one request is answered. `success` and `empty` are what WeChat accepts; `echo` answers the `echostr`
 * of the query (the URL check); `http500` is a failing server; `hang` never answers; `{ text }` is any other
 * text with HTTP 200 (or `status`).
 */
export type Behaviour = 'success' | 'empty' | 'echo' | 'http500' | 'hang' | { text: string; status?: number };

export interface ReceivedRequest {
  readonly method: string;
  /** The path without the query. */
  readonly path: string;
  /** The raw query string, without `?`: equal strings mean the same parameters in the same order. */
  readonly search: string;
  /** The query's parameters, in order (repeated names show up twice). */
  readonly params: ReadonlyArray<readonly [string, string]>;
  /** The query as an object (the last value of a repeated name). */
  readonly query: Readonly<Record<string, string>>;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface PushReceiver {
  /** `http://127.0.0.1:PORT/wechat/events`: the URL to give the emulator as `push.url`. */
  readonly url: string;
  /** Every request so far, in arrival order. */
  readonly requests: ReceivedRequest[];
  /** Queues behaviours for the next requests; once the queue is empty, requests get `fallback`. */
  reply(...behaviours: Behaviour[]): void;
  /** What requests get when the queue is empty. Default `success`. */
  fallback: Behaviour;
  /** Stops listening, cutting hung requests. */
  close(): Promise<void>;
}

export const RECEIVER_PATH = '/wechat/events';

export async function startPushReceiver(behaviours: Behaviour[] = []): Promise<PushReceiver> {
  const queue = [...behaviours];
  const requests: ReceivedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://receiver');
      const params = [...url.searchParams.entries()];
      requests.push({
        method: request.method ?? '',
        path: url.pathname,
        search: url.search.slice(1),
        params,
        query: Object.fromEntries(params),
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      answer(queue.shift() ?? receiver.fallback, url, response);
    });
  });

  function answer(behaviour: Behaviour, url: URL, response: ServerResponse): void {
    // Never answered; close() cuts it.
    if (behaviour === 'hang') return;
    const [status, text] =
      behaviour === 'success'
        ? [200, 'success']
        : behaviour === 'empty'
          ? [200, '']
          : behaviour === 'echo'
            ? [200, url.searchParams.get('echostr') ?? '']
            : behaviour === 'http500'
              ? [500, 'Internal Server Error']
              : [behaviour.status ?? 200, behaviour.text];
    response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(text);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  const receiver: PushReceiver = {
    url: `http://127.0.0.1:${port}${RECEIVER_PATH}`,
    requests,
    fallback: 'success',
    reply(...more) {
      queue.push(...more);
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
  return receiver;
}

/** Call inside a `describe`: `await r.start()` in a test gives a receiver that is closed after the test. */
export function usePushReceiver(): { start(behaviours?: Behaviour[]): Promise<PushReceiver> } {
  const open: PushReceiver[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((receiver) => receiver.close()));
  });
  return {
    async start(behaviours = []) {
      const receiver = await startPushReceiver(behaviours);
      open.push(receiver);
      return receiver;
    },
  };
}

/** A URL on 127.0.0.1 where nothing listens: a port just freed. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}${RECEIVER_PATH}`;
}
