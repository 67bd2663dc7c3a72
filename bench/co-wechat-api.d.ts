/** The little of co-wechat-api 3.11.0 (a CommonJS package without types) that the burst benchmark uses. */
declare module 'co-wechat-api' {
  export default class WechatAPI {
    constructor(appId: string, appSecret: string);
    /** `https://api.weixin.qq.com/cgi-bin/` by default; see lib/api_common.js. */
    prefix: string;
    /** `GET user/info`, after `ensureAccessToken()`; throws a `WeChatAPIError` on an errcode. */
    getUser(openid: string): Promise<{ openid: string; subscribe: number }>;
  }
}
