/** Checks shared by every factory's options: each failure names the option and shows the wrong value safely. */
import { WeChatOptionsError } from '../errors.js';

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

/** A short, safe description of a wrong value (never used for the secret). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}
