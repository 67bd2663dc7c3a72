/**
 * One line per request: method, path, status and time, and when the request met an error the library (or
 * the demo) reported, that error's class and message on the same line. The path is logged without its query
 * string, because WeChat's callback carries the one-time OAuth `code` there.
 */
import type { Context, Middleware } from 'koa';
import { WeChatStatusUnknownError } from '../lib/index.js';

export type LogLine = (line: string) => void;

/** What the log knows of a request: the first error reported for it, and whether its line is out. */
interface RequestNote {
  error?: string;
  written: boolean;
}

const notes = new WeakMap<Context, RequestNote>();

function noteOf(ctx: Context): RequestNote {
  let note = notes.get(ctx);
  if (note === undefined) notes.set(ctx, (note = { written: false }));
  return note;
}

export function requestLog(log: LogLine): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const note = noteOf(ctx);
      note.written = true;
      log(`${ctx.method} ${ctx.path} ${ctx.status} ${ms.toFixed(1)}ms${note.error === undefined ? '' : ` ! ${note.error}`}`);
    }
  };
}

/**
 * For `app.on('error')`: notes the error on its request's line, or logs it on a line of its own when it has
 * no request or comes after the request's line.
 */
export function reportError(log: LogLine): (error: unknown, ctx?: Context) => void {
  return (error, ctx) => {
    const line = describe(error);
    if (ctx === undefined) return log(`error ${line}`);
    const note = noteOf(ctx);
    if (note.written) return log(`error after ${ctx.method} ${ctx.path}: ${line}`);
    // The first error is the one that decided the answer; what followed is its echo.
    note.error ??= line;
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
