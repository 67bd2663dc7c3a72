/** Checks shared by every factory's options: each failure names the option and shows the wrong value safely. */
import { WeChatOptionsError } from '../errors.js';
import { closestName } from './did-you-mean.js';

export function requireSeconds(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new WeChatOptionsError(name, `expected a number of seconds from ${min} to ${max}, got ${describeValue(value)}`);
  }
  return value;
}

export function requireCount(name: string, value: unknown, fallback: number, max: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new WeChatOptionsError(name, `expected a whole number from ${min} to ${max}, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * An absolute http(s) URL, parsed. A wrong one is described safely: a long string by its length, a URL of
 * another scheme by its scheme only. `example` shows what is expected.
 */
export function requireHttpUrl(name: string, value: unknown, example: string): URL {
  const url = typeof value === 'string' && URL.canParse(value) ? new URL(value) : undefined;
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    const got = url === undefined ? describeValue(value) : `a ${url.protocol} URL`;
    throw new WeChatOptionsError(name, `expected an absolute http(s) URL such as ${example}, got ${got}`);
  }
  return url;
}

/**
 * A short, safe description of a wrong value. A long string is not quoted: it may be the secret (or a token),
 * pasted into the wrong option.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return value.length <= 20 ? JSON.stringify(value) : `a string of ${value.length} characters`;
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

/** A misspelt option would otherwise be ignored in silence, and its default used instead. */
export function rejectUnknownOptions(options: object, known: readonly string[], prefix = ''): void {
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const suggestion = closestName(name, known);
    throw new WeChatOptionsError(prefix + name, `is not an option${suggestion === undefined ? '' : `: did you mean "${suggestion}"?`}`);
  }
}
