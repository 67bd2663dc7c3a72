/**
 * A real HTTP hop between the library and the emulator, with a hook that runs before each request is passed
 * on: "revoke the token when the fifth batch arrives" becomes a few lines of test, without touching the
 * emulator's code or ours.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TapProxy {
  /** The proxy's base URL: give it as `apiBaseUrl`. */
  readonly url: string;
  /** Requests seen per path. */
  seen(path: string): number;
  /** Every call that came back through the proxy, bodies included, in the order the answers ended. */
  readonly calls: readonly TappedCall[];
  close(): Promise<void>;
}

/** One call that crossed the proxy. */
export interface TappedCall {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly requestBody: string;
  readonly status: number;
  readonly responseBody: string;
}

/** Runs `beforeForward(path, countForThisPath)` for each request, then forwards it to `target` as it was. */
export async function startTapProxy(
  target: string,
  beforeForward: (path: string, count: number) => void | Promise<void> = () => undefined,
): Promise<TapProxy> {
  const counts = new Map<string, number>();
  const calls: TappedCall[] = [];
  const server: Server = createServer((incoming: IncomingMessage, outgoing) => {
    const path = new URL(incoming.url ?? '/', 'http://proxy').pathname;
    const count = (counts.get(path) ?? 0) + 1;
    counts.set(path, count);
    void Promise.resolve(beforeForward(path, count)).then(() => {
      // No compression on the way back, so that the recorded answer is readable.
      const headers = { ...incoming.headers, 'accept-encoding': 'identity' };
      const upstream = request(new URL(incoming.url ?? '/', target), { method: incoming.method, headers }, (answer) => {
        const received: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => received.push(chunk));
        answer.on('end', () => {
          const call = { method: incoming.method ?? 'GET', url: incoming.url ?? '/', status: answer.statusCode ?? 0 };
          calls.push({ ...call, requestBody: Buffer.concat(sent).toString(), responseBody: Buffer.concat(received).toString() });
        });
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      });
      upstream.on('error', () => outgoing.destroy());
      // Read alongside the pipe, not before it: an earlier 'data' listener would drain the body before the pipe.
      const sent: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => sent.push(chunk));
      incoming.pipe(upstream);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen: (path) => counts.get(path) ?? 0,
    calls,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface HoldingProxy extends TapProxy {
  /** Resolves when the first request to the held path has arrived (and is being held). */
  readonly reached: Promise<void>;
  /** Lets the held requests, and every later one, through. */
  release(): void;
}

/** A tap proxy that holds every request to `path` until `release()`: a call caught "on the wire". */
export async function startHoldingProxy(target: string, path: string): Promise<HoldingProxy> {
  let arrived!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => (arrived = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const proxy = await startTapProxy(target, (seen) => {
    if (seen !== path) return undefined;
    arrived();
    return released;
  });
  return {
    url: proxy.url,
    seen: (path) => proxy.seen(path),
    calls: proxy.calls,
    reached,
    release,
    close: async () => {
      release();
      await proxy.close();
    },
  };
}
