/**
 * The emulator's own forms (phone, console) change state, so a page on another site must not be able to
 * submit them: browsers say where a request comes from in `Sec-Fetch-Site` and `Origin`.
 */
import type { Context } from 'koa';

export function fromAnotherSite(ctx: Context): boolean {
  const site = ctx.get('sec-fetch-site');
  if (site === 'cross-site' || site === 'same-site') return true;
  const origin = ctx.get('origin');
  return origin !== '' && origin !== 'null' && origin !== selfOrigin(ctx);
}

/**
 * The emulator's own origin, as the request reached it. Not `ctx.origin`: in Koa 3 that is the request's
 * `Origin` header, which a server-to-server call does not send.
 */
export function selfOrigin(ctx: Context): string {
  return `${ctx.protocol}://${ctx.host}`;
}

/** Whether the request came from an HTML form, which wants a page (or a redirect) back rather than JSON. */
export function isForm(ctx: Context): boolean {
  return ctx.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded';
}
