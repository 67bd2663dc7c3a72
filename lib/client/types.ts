/**
 * The shapes of WeChat's answers, as `shared/wechat-api.md` describes them. Field names are WeChat's own, so
 * that WeChat's documentation and these types read alike.
 */

/** `/cgi-bin/token` and `/cgi-bin/stable_token`: the global access token. */
export interface AccessTokenResponse {
  access_token: string;
  /** Seconds of life left: 7200 for a fresh token, less for a stable token mid-life (never below 300). */
  expires_in: number;
}

/** The web-authorization scopes: `snsapi_base` is silent and gives the openid only. */
export type OAuthScope = 'snsapi_base' | 'snsapi_userinfo';

/** `/sns/oauth2/access_token`: the visitor's OAuth token. Not the global token: it cannot call `/cgi-bin/*`. */
export interface OAuthTokenResponse {
  access_token: string;
  expires_in: number;
  refresh_token: string;
  openid: string;
  /** The granted scopes, comma-separated, such as `snsapi_base`. */
  scope: string;
  /** Only for `snsapi_userinfo` on accounts bound to an Open Platform account. */
  unionid?: string;
  /** 1 for the virtual user of a snapshot page: not a real visitor, never to be cached as one. */
  is_snapshotuser?: 1;
}

/** The languages `lang=` accepts. */
export type UserInfoLang = 'zh_CN' | 'zh_TW' | 'en';

/** `/sns/userinfo` (needs a `snsapi_userinfo` token): the one place left where nickname and avatar come back. */
export interface SnsUserInfo {
  openid: string;
  nickname: string;
  /** 0 since 2021-10-20. */
  sex: number;
  province: string;
  city: string;
  country: string;
  /** Ends with a size: 0, 46, 64, 96 or 132. */
  headimgurl: string;
  privilege: string[];
  unionid?: string;
}

/** `/cgi-bin/user/info` for a follower, in the post-2021 shape: nickname and avatar are empty placeholders. */
export interface SubscribedUserInfo {
  subscribe: 1;
  openid: string;
  /** Unix seconds. */
  subscribe_time: number;
  /** Only for accounts bound to an Open Platform account. */
  unionid?: string;
  remark: string;
  groupid: number;
  tagid_list: number[];
  /** How they followed, such as `ADD_SCENE_QR_CODE`; an open set, so a plain string. */
  subscribe_scene: string;
  qr_scene: number;
  qr_scene_str: string;
  language: string;
  /** `""` since 2021-12-27. */
  nickname: string;
  /** 0 since 2021-12-27. */
  sex: number;
  /** `""` since 2021-12-27. */
  headimgurl: string;
  city: string;
  province: string;
  country: string;
}

/**
 * `/cgi-bin/user/info` for someone who does not follow: "nothing else can be fetched". Newer answers may add
 * the empty placeholder keys.
 */
export interface UnsubscribedUserInfo {
  subscribe: 0;
  openid: string;
  tagid_list?: number[];
  nickname?: string;
  headimgurl?: string;
  language?: string;
}

/** One user's answer from `/cgi-bin/user/info` or `/cgi-bin/user/info/batchget`; tell them apart by `subscribe`. */
export type UserInfo = SubscribedUserInfo | UnsubscribedUserInfo;
