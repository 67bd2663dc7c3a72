import { debug } from './debug.js';

/** Where the library reports trouble it recovered from (a failed background refresh, an unreadable store). */
export interface Logger {
  /** Receives one line, already redacted. */
  warn(message: string): void;
}

/** The default: `NODE_DEBUG=koa-wechat-subscription`, silent otherwise. Pass `logger: console` to always see them. */
export const debugLogger: Logger = { warn: (message) => debug('%s', message) };

/** Names an error by its class and code only: a message from someone else's code may carry anything. */
export function describeForeignError(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' || typeof code === 'number' ? `${error.name} ${code}` : error.name;
}
