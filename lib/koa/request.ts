/**
 * What the middleware reads off a request: what it accepts, where it comes from, and the URLs it builds from
 * it. Paths are mount-aware: inside koa-mount or a prefixed router `ctx.path` has the prefix stripped, so the
 * paths the library owns are compared with, and built from, the browser's own `ctx.originalUrl`.
 */
import type { Context } from 'koa';
import { WeChatArgumentError } from '../errors.js';
import type { ResolvedSiteOptions } from '../options.js';
import { safeReturnTo } from '../sign-in/return-to.js';
import { STATE_PATTERN } from '../wechat/shapes.js';

/** The parameters WeChat adds to the `redirect_uri` on its way back. */
const SIGN_IN_PARAMS = ['code', 'state'];

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

/** GET or HEAD: a request that can be sent through WeChat and replayed as it was. */
export function isRead(ctx: Context): boolean {
  return ctx.method === 'GET' || ctx.method === 'HEAD';
}

/** The path the browser asked for, before any mount prefix was stripped. */
export function browserPath(ctx: Context): string {
  const url = ctx.originalUrl;
  // An absolute-form request target (`GET http://host/path`) names the path inside a URL.
  if (!url.startsWith('/')) return URL.canParse(url) ? new URL(url).pathname : '/';
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/**
 * The site's root as the browser sees it, for a page's way home: `/`, or the koa-mount prefix with a slash
 * (`/club/`) inside a mounted app. A router's prefix is kept in `ctx.path`, so it leads to `/`.
 */
export function homePath(ctx: Context): string {
  const path = browserPath(ctx);
  const inner = ctx.path;
  let prefix = '';
  if (path !== inner) {
    if (path.endsWith(inner)) prefix = path.slice(0, path.length - inner.length);
    // koa-mount answers its bare prefix (`/club`) with a `ctx.path` of `/`.
    else if (inner === '/') prefix = path;
  }
  return safeReturnTo(`${prefix.replace(/\/+$/, '')}/`);
}

/** The browser's URL (path and query) without the parameters WeChat adds on its way back. */
export function cleanPath(ctx: Context): string {
  // Taken apart by hand, not by URLSearchParams: the rest of the query comes back byte for byte as it was sent.
  const query = ctx.querystring
    .split('&')
    .filter((part) => part !== '' && !SIGN_IN_PARAMS.includes(paramName(part)))
    .join('&');
  return `${browserPath(ctx)}${query === '' ? '' : `?${query}`}`;
}

/**
 * A query part's name as Koa's `ctx.query` reads it: decoded. Compared raw, `st%61te=x` would stay in the
 * clean URL (hence in the redirect_uri) while `ctx.query.state` reads it, and WeChat's own `state` beside it
 * would make a repeated one, never completed: a trip through WeChat for ever.
 */
function paramName(part: string): string {
  const name = part.split('=', 1)[0]!.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(name);
  } catch {
    // A malformed escape: Koa's parsers keep such a name as it is.
    return name;
  }
}

/**
 * WeChat's return, when this request is one: a `state` of the library's shape, given once, and the `code`
 * (absent when the visitor refused, as old clients say it).
 */
export function signInReturn(ctx: Context): { state: string; code: string | undefined } | undefined {
  const state = single(ctx.query.state);
  if (state === undefined || !STATE_PATTERN.test(state)) return undefined;
  return { state, code: single(ctx.query.code) };
}

/**
 * The `redirect_uri` for WeChat: the dedicated callback path when there is one, else this request's own clean
 * URL, which the gate that sent the visitor will see again. Never `ctx.origin`: in Koa 3 it is the request's
 * Origin header. `ctx.protocol` and `ctx.host` trust `X-Forwarded-*` only when `app.proxy` is set.
 */
export function returnUrl(ctx: Context, site: ResolvedSiteOptions): string {
  const path = returnPath(ctx, site);
  if (site.publicUrl !== undefined) return `${site.publicUrl}${path}`;
  // An HTTP/1.0 request may name no host: "http:///wechat/callback" would parse as the host "wechat".
  if (ctx.host === '')
    throw new WeChatArgumentError('Host', 'the request names no host, so there is no URL to give WeChat to return to: set publicUrl');
  return `${ctx.protocol}://${ctx.host}${path}`;
}

/** The path (and query) of `returnUrl`: where WeChat will send the visitor back to. */
export function returnPath(ctx: Context, site: ResolvedSiteOptions): string {
  // A return path that safeReturnTo shortens still brings the visitor back to this path, hence to this gate.
  return site.callbackPath ?? (isRead(ctx) ? safeReturnTo(cleanPath(ctx)) : safeReturnTo(browserPath(ctx)));
}

/** A query parameter given once; a repeated or missing one counts as absent. */
function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
