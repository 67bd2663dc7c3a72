/**
 * A tiny programmable HTTP server that stands in for WeChat in the client's tests: each route answers with
 * the handlers it is given, one per call (the last one repeats), and every request is recorded.
 * It is a fixture for failure modes (HTML pages, hangs, truncated JSON), not an emulator of WeChat.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** The path and query exactly as sent. */
  rawUrl: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The client's port: equal for two requests when the connection was kept alive. */
  remotePort: number | undefined;
}

export type Handler = (request: RecordedRequest, response: ServerResponse) => void;

/** Handlers keyed by `METHOD /path`; a list answers one call each, and its last entry repeats. */
export type Routes = Record<string, Handler | Handler[]>;

export interface FakeWeChat {
  url: string;
  requests: RecordedRequest[];
  /** The requests made to one path. */
  calls(path: string): RecordedRequest[];
  close(): Promise<void>;
}

/** Starts a server on a free loopback port. Routes are keyed by `METHOD /path`. */
export async function startFakeWeChat(routes: Routes): Promise<FakeWeChat> {
  const requests: RecordedRequest[] = [];
  const counters = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        rawUrl: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        remotePort: req.socket.remotePort,
      };
      requests.push(recorded);
      const key = `${recorded.method} ${recorded.path}`;
      const route = routes[key];
      if (route === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`no route ${key}`);
        return;
      }
      const handlers = Array.isArray(route) ? route : [route];
      const count = counters.get(key) ?? 0;
      counters.set(key, count + 1);
      handlers[Math.min(count, handlers.length - 1)]!(recorded, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    calls: (path) => requests.filter((request) => request.path === path),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers JSON, labelled as `/cgi-bin/*` labels it unless told otherwise (`/sns/*` says `text/plain`). */
export const json =
  (body: unknown, contentType = 'application/json; encoding=utf-8'): Handler =>
  (_request, response) => {
    response.writeHead(200, { 'content-type': contentType }).end(JSON.stringify(body));
  };

/** Answers a raw body with a status, such as a proxy's HTML error page or truncated JSON. */
export const raw =
  (status: number, body: string, contentType = 'text/html'): Handler =>
  (_request, response) => {
    response.writeHead(status, { 'content-type': contentType }).end(body);
  };

/** Never answers: the client's timeout must fire. */
export const hang: Handler = () => undefined;

/** Cuts the connection without an answer. */
export const reset: Handler = (_request, response) => {
  response.socket?.destroy();
};

/** An errcode answer with a realistic rid suffix. */
export const errcode = (code: number, errmsg = 'error'): Handler => json({ errcode: code, errmsg: `${errmsg} rid: 6650f1a2-1b2c3d4e-5f6a7b8c` });

/** A port where nothing listens, for "connection refused". */
export async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
