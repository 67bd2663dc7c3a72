/** `/members`: followers only. The gate (enforce mode) has already answered everyone else with the follow page. */
import type { Context } from 'koa';

export async function members(ctx: Context): Promise<void> {
  await ctx.render('members', { title: '会员专区 · Members' });
}
