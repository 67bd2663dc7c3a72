/**
 * The OAuth `state`: a single-use nonce tied to the visitor's session. It is what stops a callback URL made in
 * an attacker's session from signing a victim in as the attacker (login CSRF), which the recipe's `state=1` allows.
 */
import { randomInt, timingSafeEqual } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** 32 characters of 62: 190 bits, within WeChat's `a-zA-Z0-9`, at most 128. */
const LENGTH = 32;

export function newState(): string {
  let state = '';
  // randomInt draws without modulo bias.
  for (let index = 0; index < LENGTH; index += 1) state += ALPHABET[randomInt(ALPHABET.length)];
  return state;
}

/** Constant-time comparison, so that the time of a refusal says nothing about how much of a guess was right. */
export function sameState(expected: string, received: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(received);
  return a.length === b.length && timingSafeEqual(a, b);
}
