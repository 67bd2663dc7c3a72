/**
 * How WeChat's API answers: HTTP 200 whatever happened, JSON labelled `application/json; encoding=utf-8` by
 * `/cgi-bin/*` and `text/plain` by `/sns/*`, and errors as `{errcode, errmsg}` with a ` rid: …` suffix.
 */
import type { Context } from 'koa';
import { rid } from '../ids.js';

/** WeChat's own wording, so that logs read like the real service's. */
const ERRMSG: Record<number, string> = {
  [-1]: 'system error',
  40001:
    'invalid credential, access_token is invalid or not latest, could get access_token by getStableAccessToken, more details at https://mmbizurl.cn/s/JtxxFh33r',
  40002: 'invalid grant_type',
  40003: 'invalid openid',
  40013: 'invalid appid',
  40029: 'invalid code',
  40030: 'invalid refresh_token',
  40032: 'invalid openid list size',
  40125: 'invalid appsecret',
  40163: 'code been used',
  41001: 'access_token missing',
  41002: 'appid missing',
  41003: 'refresh_token missing',
  41004: 'appsecret missing',
  41008: 'missing code',
  41009: 'missing openid',
  42001: 'access_token expired',
  42002: 'refresh_token expired',
  42007: 'access_token and refresh_token exception',
  43001: 'require GET method',
  43002: 'require POST method',
  45009: 'reach max api daily quota limit',
  47001: 'data format error',
  48001: 'api unauthorized',
};

export type Flavor = 'cgi' | 'sns';

const CONTENT_TYPE: Record<Flavor, string> = {
  cgi: 'application/json; encoding=utf-8',
  sns: 'text/plain',
};

/** A success answer. */
export function answer(ctx: Context, flavor: Flavor, body: Record<string, unknown>): void {
  ctx.status = 200;
  ctx.body = JSON.stringify(body);
  // Set as a whole header: Koa's ctx.type would add a charset that WeChat does not send.
  ctx.set('content-type', CONTENT_TYPE[flavor]);
}

/** An errcode answer, still HTTP 200. */
export function refuse(ctx: Context, flavor: Flavor, errcode: number, unixSeconds: number): void {
  (ctx.state as { errcode?: number }).errcode = errcode;
  answer(ctx, flavor, { errcode, errmsg: `${ERRMSG[errcode] ?? 'error'} rid: ${rid(unixSeconds)}` });
}
