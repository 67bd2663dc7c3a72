/**
 * One line per request: method, path, status and time. The path is logged without its query string, because
 * WeChat's callback carries the one-time OAuth `code` there.
 */
import type { Middleware } from 'koa';

export type LogLine = (line: string) => void;

export function requestLog(log: LogLine): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log(`${ctx.method} ${ctx.path} ${ctx.status} ${ms.toFixed(1)}ms`);
    }
  };
}
