/** `/logout`: a POST forgets the visitor's WeChat identity, then back to the home page; a GET asks first. */
import type { Context } from 'koa';
import { logout as forgetVisitor } from '../../lib/index.js';

export function logout(ctx: Context): void {
  forgetVisitor(ctx);
  ctx.redirect('/?signed_out=1');
}

export async function confirmLogout(ctx: Context): Promise<void> {
  await ctx.render('logout', { title: '退出 · Sign out' });
}
