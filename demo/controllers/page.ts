/**
 * `/page`: the original recipe's page, done right. The gate in front of it (detect mode) has put the
 * visitor's `openid`, `isConcern` and `wechatUser` on `ctx.state`.
 */
import type { Context } from 'koa';
import { followerRows } from '../presenters/user-info.js';

export async function page(ctx: Context): Promise<void> {
  const { wechatUser } = ctx.state;
  ctx.assert(wechatUser, 500, 'the gate must run before this page');
  await ctx.render('page', {
    title: ctx.state.isConcern ? '已关注 · Following' : '未关注 · Not following',
    rows: followerRows(wechatUser),
    nickname: wechatUser.nickname || undefined,
    avatarUrl: httpUrlOrUndefined(wechatUser.headimgurl),
  });
}

/** Only an http(s) avatar reaches an `<img src>`; `headimgurl` is `""` for everyone but `snsapi_userinfo` visitors. */
function httpUrlOrUndefined(url: string | undefined): string | undefined {
  return url !== undefined && /^https?:\/\//.test(url) ? url : undefined;
}
