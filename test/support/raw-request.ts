/** A request written byte for byte on a fresh socket (an HTTP/1.0 one without Host, say), for what no client library sends. */
import { connect } from 'node:net';

/** Sends `request` as written and resolves with the answer's status line and headers. */
export function rawHead(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // Written, not ended: a half-closed socket lets Node's server drop an answer that takes a moment (a rendered
    // page). An HTTP/1.0 request without keep-alive is closed by the server once answered.
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('end', () => resolve(received.split('\r\n\r\n')[0]!));
    socket.on('error', reject);
  });
}
