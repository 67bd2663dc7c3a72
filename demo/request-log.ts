/**
 * One line per request: method, path, status and time, and when the request met an error the library (or
 * the demo) reported, that error's class and message on the same line. The path is logged without its query
 * string, because WeChat's callback carries the one-time OAuth `code` there.
 */
import type { Context, Middleware } from 'koa';
import { WeChatStatusUnknownError } from '../lib/index.js';

export type LogLine = (line: string) => void;

/** The errors reported during each request (`app.on('error')`), kept until its line is written. */
const reported = new WeakMap<Context, string>();

export function requestLog(log: LogLine): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const error = reported.get(ctx);
      log(`${ctx.method} ${ctx.path} ${ctx.status} ${ms.toFixed(1)}ms${error === undefined ? '' : ` ! ${error}`}`);
    }
  };
}

/** For `app.on('error')`: notes the error on its request's line, or logs it alone when it has no request. */
export function reportError(log: LogLine): (error: unknown, ctx?: Context) => void {
  return (error, ctx) => {
    const line = describe(error);
    if (ctx === undefined) log(`error ${line}`);
    else reported.set(ctx, line);
  };
}

/**
 * Class, code and first line of the message. The library's messages are redacted; a status error is told by
 * its cause (WeChat's errcode and hint), whose message does not name the visitor's openid.
 */
function describe(error: unknown): string {
  const shown = error instanceof WeChatStatusUnknownError && error.cause instanceof Error ? error.cause : error;
  if (!(shown instanceof Error)) return 'a non-Error was thrown';
  const code = (shown as { code?: unknown }).code;
  return `${shown.name}${typeof code === 'string' ? ` ${code}` : ''}: ${shown.message.split('\n')[0]}`;
}
