/**
 * The demo's own error answers, as a page (in Chinese and English) or as JSON like the library's: a thrown
 * error, and the empty 404, 405 and 501 that the router leaves. The library answers its own troubles (400,
 * 401, 403, 502/503), in the demo's layout through `renderWeChatPage`. A 500 never shows the error's message
 * or stack.
 */
import type { Context, Middleware } from 'koa';
import type { WeChatPage } from '../lib/index.js';

/** The library's pages in the demo's layout: createWeChat's `renderPage`. */
export async function renderWeChatPage(ctx: Context, page: WeChatPage): Promise<void> {
  await ctx.render('wechat-page', { title: `${page.title.zh} · ${page.title.en}`, page });
}

/** What the page says in Chinese, beside the English message (which the JSON answer carries alone). */
const CHINESE: Readonly<Record<string, string>> = {
  not_found: '这里没有页面。',
  method_not_allowed: '此地址不接受这种请求。',
  bad_request: '请求有误。',
  unavailable: '服务暂时不可用，请稍后重试。',
  internal_error: '服务器出了点问题，请稍后重试。',
};

export function errorPages(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const status = statusOf(error);
      // A 503 that says so (the session store could not be reached) is shown; any other server error is not.
      const exposed = (status < 500 || status === 503) && (error as { expose?: unknown }).expose === true;
      // As Koa's own handler does: what was set for the answer that failed (a redirect, a cookie) does not go out.
      for (const name of ctx.res.getHeaderNames()) ctx.res.removeHeader(name);
      const headers = (error as { headers?: unknown }).headers;
      if (exposed && headers !== null && typeof headers === 'object') ctx.set(headers as Record<string, string>);
      const code = status < 500 ? 'bad_request' : exposed ? 'unavailable' : 'internal_error';
      await answer(ctx, status, exposed ? (error as Error).message : status < 500 ? 'Bad request' : 'Something went wrong on our side', code);
      // Also as Koa does: only server errors are reported; a client's mistake is not ours to log. An outage
      // that was answered with its 503 is not a bug, and would be one line per request.
      if (status >= 500 && !exposed) ctx.app.emit('error', error, ctx);
      return;
    }
    if (ctx.body == null && ctx.status >= 400)
      await answer(ctx, ctx.status, emptyAnswerMessage(ctx), ctx.status === 404 ? 'not_found' : 'method_not_allowed');
  };
}

function emptyAnswerMessage(ctx: Context): string {
  if (ctx.status === 404) return 'There is no page here';
  return `${ctx.path} does not take ${ctx.method}${ctx.response.get('Allow') === '' ? '' : `; it takes ${ctx.response.get('Allow')}`}`;
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
  await ctx.render('error', { title: `${status}`, status, message, zh: CHINESE[code] ?? '' });
  ctx.status = status;
}
