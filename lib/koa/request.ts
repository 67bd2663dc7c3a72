/** What the middleware reads off a request: what it accepts, where it comes from, and where the callback is. */
import type { Context } from 'koa';
import { WeChatArgumentError } from '../errors.js';
import type { ResolvedSiteOptions } from './options.js';

/**
 * An API call rather than a page: it asks for JSON (an Accept header without text/html) or comes from script
 * (`X-Requested-With`). It gets a 401 JSON answer instead of a redirect it could not follow.
 */
export function wantsJson(ctx: Context): boolean {
  if (ctx.get('X-Requested-With') !== '') return true;
  const accept = ctx.get('Accept');
  return accept !== '' && !accept.toLowerCase().includes('text/html');
}

/** WeChat's in-app browser names itself `MicroMessenger` in its User-Agent. */
export function inWeChat(ctx: Context): boolean {
  return ctx.get('User-Agent').includes('MicroMessenger');
}

/**
 * The absolute callback URL for WeChat's `redirect_uri`. Never `ctx.origin`: in Koa 3 it is the request's
 * Origin header. `ctx.protocol` and `ctx.host` trust `X-Forwarded-*` only when `app.proxy` is set.
 */
export function callbackUrl(ctx: Context, site: ResolvedSiteOptions): string {
  if (site.publicUrl !== undefined) return `${site.publicUrl}${site.callbackPath}`;
  // An HTTP/1.0 request may name no host: "http:///wechat/callback" would parse as the host "wechat".
  if (ctx.host === '') throw new WeChatArgumentError('Host', 'the request names no host, so there is no callback URL to give WeChat: set publicUrl');
  return `${ctx.protocol}://${ctx.host}${site.callbackPath}`;
}
