/** `/api/me`: the visitor as JSON. Without a session, the gate answers 401 JSON with `authorizeUrl`. */
import type { Context } from 'koa';

export function me(ctx: Context): void {
  const { openid, isConcern, wechatUser } = ctx.state;
  ctx.body = { openid, isConcern, wechatUser };
}
