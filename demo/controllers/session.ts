/** `/logout`: forgets the visitor's WeChat identity, then back to the home page. */
import type { Context } from 'koa';
import { logout as forgetVisitor } from '../../lib/index.js';

export function logout(ctx: Context): void {
  forgetVisitor(ctx);
  ctx.redirect('/?signed_out=1');
}
