/**
 * The console page and the control API behind its buttons. The API takes JSON (for scripts and tests in
 * another process) or a form (the page's buttons, answered with a redirect back to the page).
 */
import { createHash } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Emulator } from '../emulator.js';
import { parseJsonObject, readBody } from '../http/body.js';
import { BodyTooLargeError } from '../../util/read-body.js';
import { fromAnotherSite, isForm } from '../http/forms.js';
import { escapeHtml } from '../pages/html.js';
import { consolePage } from '../pages/console.js';
import type { EmulatorState } from '../state/index.js';
import { forgetPhoneUser, phoneUserOf } from './authorize.js';

/** A one-time cookie that carries which button was pressed across the redirect back, for the page to say it was done. */
const DONE_COOKIE = 'wxemu_done';

type Fields = Record<string, unknown>;
type Action = (fields: Fields, ctx: Context) => unknown;

class BadRequest extends Error {}

export function consoleRoutes(state: EmulatorState, emulator: Emulator, endpoints: readonly string[]) {
  const actions: Record<string, Action> = {
    users: (fields) => emulator.createUser({ nickname: text(fields, 'nickname'), subscribed: flag(fields.subscribed) }),
    follow: (fields) => emulator.follow(openidOf(fields, emulator)),
    unfollow: (fields) => emulator.unfollow(openidOf(fields, emulator)),
    faults: (fields) => {
      const times = fields.times === undefined || fields.times === '' ? 1 : Number(fields.times);
      return emulator.injectFault(text(fields, 'endpoint'), text(fields, 'kind') as never, times);
    },
    'faults/clear': () => emulator.clearFaults(),
    'revoke-token': (fields) => ({ revoked: emulator.revokeToken(fields.kind === undefined ? 'all' : (text(fields, 'kind') as never)) }),
    clock: (fields) => emulator.advanceClock(Number(fields.advance)),
    'counters/reset': () => emulator.resetCounters(),
    switches: (fields) => {
      if (fields.doubleRedirect !== undefined) emulator.setSwitches({ doubleRedirect: flag(fields.doubleRedirect) });
      if (fields.onRefuse !== undefined) emulator.setSwitches({ onRefuse: text(fields, 'onRefuse') as never });
      return { ...state.switches };
    },
    'phone/forget': (_fields, ctx) => forgetPhoneUser(ctx),
    'push/verify': () => emulator.verifyPushUrl(),
  };

  return async function consoleRouter(ctx: Context, next: Next): Promise<void> {
    if (ctx.path === '/emulator' || ctx.path === '/emulator/' || ctx.path === '/') {
      if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return void (ctx.status = 405);
      if (ctx.path === '/') return ctx.redirect('/emulator');
      // Only the name of a known action is read back: the page says a fixed sentence for it, never the cookie's text.
      const done = ctx.cookies.get(DONE_COOKIE);
      if (done !== undefined) ctx.cookies.set(DONE_COOKIE, null, { overwrite: true });
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = consolePage(state, endpoints, {
        phoneUser: phoneUserOf(ctx, state),
        done: done !== undefined && Object.hasOwn(actions, done) ? done : undefined,
      });
      return;
    }
    if (ctx.path === '/emulator/api/state' && ctx.method === 'GET') {
      ctx.body = emulator.snapshot();
      return;
    }
    const avatar = /^\/emulator\/avatar\/([A-Za-z0-9_-]{1,128})\/(0|46|64|96|132)$/.exec(ctx.path);
    if (avatar !== null && ctx.method === 'GET') return serveAvatar(ctx, state, avatar[1]!);
    const name = ctx.path.startsWith('/emulator/api/') ? ctx.path.slice('/emulator/api/'.length) : undefined;
    // Own properties only: `constructor` or `__proto__` must not name an action.
    const run = name === undefined || !Object.hasOwn(actions, name) ? undefined : actions[name];
    if (run === undefined) {
      await next();
      return;
    }
    if (ctx.method !== 'POST') return apiError(ctx, 405, 'this action takes POST');
    // The console's buttons change state: another site must not be able to press them.
    if (fromAnotherSite(ctx)) return apiError(ctx, 403, 'another site may not drive the emulator');
    const form = isForm(ctx);
    try {
      const raw = await readBody(ctx, 64 * 1024);
      const fields = form ? Object.fromEntries(new URLSearchParams(raw)) : raw.trim() === '' ? {} : parseJsonObject(raw);
      if (fields === undefined) throw new BadRequest('expected a JSON object body');
      const result = await run(fields, ctx);
      if (form) {
        ctx.cookies.set(DONE_COOKIE, name, { httpOnly: true, sameSite: 'lax', signed: false, overwrite: true });
        return ctx.redirect('/emulator');
      }
      ctx.status = name === 'users' ? 201 : 200;
      ctx.body = result ?? { ok: true };
    } catch (error) {
      if (error instanceof BodyTooLargeError) return apiError(ctx, 413, 'the body is too large');
      // Our own checks throw TypeError or RangeError with a message meant for the caller.
      if (error instanceof BadRequest || error instanceof TypeError || error instanceof RangeError) return apiError(ctx, 400, error.message, form);
      throw error;
    }
  };
}

function apiError(ctx: Context, status: number, message: string, asPage = false): void {
  ctx.status = status;
  if (asPage) {
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = `<!doctype html><meta charset="utf-8"><title>Emulator</title><p>${escapeHtml(message)}</p><p><a href="/emulator">Back to the console</a></p>`;
  } else {
    ctx.body = { error: message };
  }
}

function text(fields: Fields, name: string): string {
  const value = fields[name];
  if (typeof value !== 'string' || value === '') throw new BadRequest(`"${name}" is required`);
  return value;
}

function flag(value: unknown): boolean {
  return value === true || value === '1' || value === 'true' || value === 'on';
}

function openidOf(fields: Fields, emulator: Emulator): string {
  if (typeof fields.nickname === 'string' && fields.openid === undefined) {
    const user = emulator.findUser(fields.nickname);
    if (user === undefined) throw new BadRequest(`no user named ${JSON.stringify(fields.nickname)}`);
    return user.openid;
  }
  return text(fields, 'openid');
}

/** A round avatar with the nickname's first letter, so pages render offline. */
function serveAvatar(ctx: Context, state: EmulatorState, openid: string): void {
  const user = state.users.get(openid);
  if (user === undefined) return void (ctx.status = 404);
  const hue = createHash('sha256').update(openid).digest()[0]! * 1.4;
  const letter = escapeHtml([...user.nickname][0]!.toUpperCase());
  ctx.type = 'image/svg+xml';
  ctx.set('cache-control', 'public, max-age=3600');
  ctx.body = `<svg xmlns="http://www.w3.org/2000/svg" width="132" height="132" viewBox="0 0 132 132"><rect width="132" height="132" rx="12" fill="hsl(${hue.toFixed(0)},55%,55%)"/><text x="66" y="86" font-size="64" text-anchor="middle" fill="#fff" font-family="sans-serif">${letter}</text></svg>`;
}
