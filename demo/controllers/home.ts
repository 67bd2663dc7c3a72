/** `/`: public. What the demo shows, and where to go. */
import type { Context } from 'koa';

export async function home(ctx: Context): Promise<void> {
  await ctx.render('home', { title: 'koa-wechat-subscription demo', signedOut: ctx.query.signed_out === '1' });
}
