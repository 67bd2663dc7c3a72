/**
 * Raw HTTP for the emulator's bad-input and console tests: the path goes out exactly as written (so broken
 * percent-encoding and repeated parameters reach the server untouched), each request on its own connection
 * (so a connection the server cuts cannot fail the next request), and the whole answer comes back as text.
 */
import { request, type IncomingHttpHeaders } from 'node:http';

export interface RawRequest {
  method?: string;
  /** Path and query, sent byte for byte. */
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Stream the body in 64 KiB chunks without a Content-Length. */
  chunked?: boolean;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export function send(baseUrl: string, raw: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  const body = raw.body === undefined ? undefined : Buffer.from(raw.body);
  const headers: Record<string, string> = { ...raw.headers };
  if (body !== undefined && raw.chunked !== true) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    let answered = false;
    const outgoing = request({ hostname, port, method: raw.method ?? 'GET', path: raw.path, headers, agent: false }, (response) => {
      answered = true;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }),
      );
      response.on('error', reject);
    });
    // A server that answers early (413) may close while the body is still going out: the answer is what counts.
    outgoing.on('error', (error) => {
      if (!answered) reject(error);
    });
    if (body !== undefined && raw.chunked === true) {
      for (let start = 0; start < body.length; start += 65_536) outgoing.write(body.subarray(start, start + 65_536));
    } else if (body !== undefined) {
      outgoing.write(body);
    }
    outgoing.end();
  });
}

/** The body as JSON; fails the test with the text when it is not JSON. */
export function jsonOf(response: RawResponse): unknown {
  try {
    return JSON.parse(response.text);
  } catch {
    throw new Error(`expected a JSON body, got ${response.status}: ${response.text.slice(0, 300)}`);
  }
}

/** A stack frame: `at ` and a file path (or URL) with a line number. */
export const STACK_FRAME = /\bat\s+(?:[^\s(]+\s+\()?(?:file:\/\/|node:|\/|[A-Za-z]:\\)[^\s)]*:\d+/;

/** The leak scanner of the client's tests, over the secrets the caller names. */
export { leaksIn as leakedIn } from './leak-scan.js';
