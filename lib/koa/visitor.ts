/**
 * What `requireSubscription()` puts on `ctx.state`, typed by augmenting Koa's `DefaultState`: the recipe's
 * `isConcern` and `wechatUser`, and the `openid`.
 */
import type { SnsUserInfo, UserInfo } from '../client/types.js';

/**
 * `/cgi-bin/user/info`'s answer (`{ openid, subscribe: 0 }` for someone who does not follow), with the
 * nickname and avatar of `/sns/userinfo` added on `snsapi_userinfo` routes.
 */
export type WeChatUser = UserInfo & Partial<Pick<SnsUserInfo, 'nickname' | 'headimgurl' | 'unionid'>>;

/** The part of `/sns/userinfo` that is kept (in the store, not the session) for `snsapi_userinfo` routes. */
export type VisitorProfile = Pick<SnsUserInfo, 'nickname' | 'headimgurl'> & { unionid?: string };

declare module 'koa' {
  interface DefaultState {
    /** The visitor's openid for this Official Account. Set on every request that passed `requireSubscription()`. */
    openid?: string;
    /**
     * Whether the visitor follows the account. `undefined` only with `onUnknown: 'allow'` when WeChat could not say.
     */
    isConcern?: boolean;
    /** WeChat's user info (see {@link WeChatUser}); `undefined` only with `onUnknown: 'allow'` when WeChat could not say. */
    wechatUser?: WeChatUser;
  }
}
