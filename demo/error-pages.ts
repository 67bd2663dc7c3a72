/**
 * The demo's own 404 and 500 answers, as a page or as JSON like the library's. The library answers its own
 * troubles (401, 403, 502/503) itself; this catches the rest. A 500 never shows the error's message or stack.
 */
import type { Context, Middleware } from 'koa';

export function errorPages(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const status = statusOf(error);
      const exposed = status < 500 && (error as { expose?: unknown }).expose === true;
      await answer(ctx, status, exposed ? (error as Error).message : status < 500 ? 'Bad request' : 'Something went wrong on our side', status < 500 ? 'bad_request' : 'internal_error');
      // As Koa's own handler does, only server errors are reported: a client's mistake is not ours to log.
      if (status >= 500) ctx.app.emit('error', error, ctx);
      return;
    }
    if (ctx.status === 404 && ctx.body == null) await answer(ctx, 404, 'There is no page here', 'not_found');
  };
}

function statusOf(error: unknown): number {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

async function answer(ctx: Context, status: number, message: string, code: string): Promise<void> {
  if (ctx.accepts('html', 'json') === 'json' || ctx.path.startsWith('/api/')) {
    ctx.status = status;
    ctx.body = { error: code, message };
    return;
  }
  await ctx.render('error', { title: `${status}`, status, message });
  ctx.status = status;
}
