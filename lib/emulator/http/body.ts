/**
 * Reads a request body with a size cap: WeChat's JSON endpoints take a few kilobytes, and an emulator that
 * buffered any amount could be knocked over by a test gone wrong.
 */
import type { Context } from 'koa';
import { readBodyBytes } from '../../util/read-body.js';

export const BODY_LIMIT = 1024 * 1024;
/** A test that sends half a body must not hold the emulator's request open. */
const BODY_TIMEOUT_MS = 10_000;

export async function readBody(ctx: Context, limit = BODY_LIMIT): Promise<string> {
  return (await readBodyBytes(ctx.req, { limit, timeoutMs: BODY_TIMEOUT_MS })).toString('utf8');
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
