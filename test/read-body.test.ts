/**
 * The bounded body reader that the push endpoint and the emulator share: a body over the limit (declared or
 * not) and a body that stops arriving are refused, never buffered without end nor waited for without end.
 */
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { BodyTooLargeError, BodyUnreadableError, readBodyBytes } from '../lib/util/read-body.js';

describe('readBodyBytes', () => {
  let server: Server;
  let outcome: Promise<Buffer | Error> | undefined;
  let port: number;

  beforeEach(async () => {
    outcome = undefined;
    server = createServer((request, response) => {
      outcome = readBodyBytes(request, { limit: 16, timeoutMs: 200 }).then(
        (body) => body,
        (error: Error) => error,
      );
      void outcome.then(() => response.end('done'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** Writes `head` and `body` on a raw socket, and leaves it open. */
  async function send(head: string, body: string): Promise<Buffer | Error> {
    const socket = connect(port, '127.0.0.1');
    socket.write(`POST / HTTP/1.1\r\nHost: x\r\n${head}\r\n${body}`);
    while (outcome === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    const result = await outcome;
    socket.destroy();
    return result;
  }

  it('reads a body within its bounds', async () => {
    expect(String(await send('Content-Length: 5\r\n', 'hello'))).to.equal('hello');
  });

  it('a declared length over the limit is refused before anything is read', async () => {
    expect(await send('Content-Length: 17\r\n', '')).to.be.instanceOf(BodyTooLargeError);
  });

  it('a chunked body that grows past the limit is refused', async () => {
    expect(await send('Transfer-Encoding: chunked\r\n', '11\r\n12345678901234567\r\n0\r\n\r\n')).to.be.instanceOf(BodyTooLargeError);
  });

  it('a body that stops arriving is refused after timeoutMs, as a 408', async () => {
    const error = await send('Content-Length: 10\r\n', 'abc');
    expect(error).to.be.instanceOf(BodyUnreadableError);
    expect(error).to.include({ status: 408, expose: true });
  });
});
