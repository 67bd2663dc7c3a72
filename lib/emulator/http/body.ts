/**
 * Reads a request body with a size cap: WeChat's JSON endpoints take a few kilobytes, and an emulator that
 * buffered any amount could be knocked over by a test gone wrong.
 */
import type { Context } from 'koa';

export const BODY_LIMIT = 1024 * 1024;

export class BodyTooLargeError extends Error {}

export async function readBody(ctx: Context, limit = BODY_LIMIT): Promise<string> {
  const declared = Number(ctx.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw new BodyTooLargeError();
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A JSON object, or undefined for anything else (not JSON, an array, a string, nothing). */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A urlencoded form body, as the console's and the phone's forms send it. */
export async function readForm(ctx: Context): Promise<URLSearchParams> {
  return new URLSearchParams(await readBody(ctx, 64 * 1024));
}
