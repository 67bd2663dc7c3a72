/**
 * Reads a request's body within two bounds: a size (so that no peer can make us buffer any amount) and a time
 * (so that a peer that sends slowly, or stops, cannot hold the request open). Framework-free: it takes Node's
 * request, which is `ctx.req` in Koa.
 */
import type { IncomingMessage } from 'node:http';

/** The body is larger than the limit, by its Content-Length or as it arrived. */
export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

/** The body did not arrive in time, or the connection failed while it did. Koa answers it 408 as it is. */
export class BodyUnreadableError extends Error {
  override name = 'BodyUnreadableError';
  readonly status = 408;
  readonly expose = true;
}

export interface BodyBounds {
  /** Bytes. */
  limit: number;
  /** Milliseconds for the whole body. */
  timeoutMs: number;
}

export function readBodyBytes(request: IncomingMessage, { limit, timeoutMs }: BodyBounds): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLargeError());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error: Error | undefined): void => {
      clearTimeout(timer);
      request.off('data', onData).off('end', onEnd).off('error', onError);
      // What is left of an oversized or slow body is read and thrown away by Node once the answer is sent.
      if (error === undefined) resolve(Buffer.concat(chunks));
      else reject(error);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) finish(new BodyTooLargeError());
      else chunks.push(chunk);
    };
    const onEnd = (): void => finish(undefined);
    const onError = (): void => finish(new BodyUnreadableError('the connection failed while the body arrived'));
    const timer = setTimeout(() => finish(new BodyUnreadableError(`the body did not arrive within ${timeoutMs / 1000} s`)), timeoutMs);
    request.on('data', onData).on('end', onEnd).on('error', onError);
  });
}
