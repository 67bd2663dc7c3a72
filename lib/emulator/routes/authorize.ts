/**
 * `/connect/oauth2/authorize`, where the emulator plays the WeChat app: it checks the request as WeChat does,
 * then asks (or remembers) who is holding the phone, and sends the browser back with a fresh code.
 */
import type { Context, Next } from 'koa';
import { readForm } from '../http/body.js';
import { BodyTooLargeError } from '../../util/read-body.js';
import { fromAnotherSite } from '../http/forms.js';
import { errorPage, type AuthorizeProblem } from '../pages/error-page.js';
import { consentPage, doubleRedirectPage, pickerPage, refusedPage } from '../pages/phone.js';
import { createUserNow, type EmulatorState } from '../state/index.js';
import type { EmulatorUser } from '../state/users.js';
import { callbackUrl, parseAuthorizeRequest, type AuthorizeRequest } from './authorize-request.js';

export const AUTHORIZE_PATH = '/connect/oauth2/authorize';
/** The emulator's cookie, on its own origin: the user this phone belongs to. */
const PHONE_COOKIE = 'wxemu_openid';

/** The emulator's own refusals, on the phone's forms; WeChat's are in authorize-request.ts. */
const PROBLEMS = {
  getOnly: { code: undefined, zh: '请求方式错误', en: 'Open this page with GET.', fix: 'the authorize URL is a page for the browser.' },
  postOnly: { code: undefined, zh: '请求方式错误', en: 'This form takes POST.', fix: 'use the buttons of the phone page.' },
  crossSite: { code: undefined, zh: '禁止访问', en: 'Another site may not submit the phone page.', fix: 'use the phone page itself.' },
  tooLarge: { code: undefined, zh: '请求过大', en: 'This form is too large.', fix: 'nicknames are at most 32 characters.' },
  unknownUser: {
    code: undefined,
    zh: '用户不存在',
    en: 'This test user does not exist (was the emulator restarted?).',
    fix: 'start again from the site.',
  },
  unknownDecision: { code: undefined, zh: '参数错误', en: 'Unknown decision.', fix: 'use the buttons of the consent sheet.' },
} satisfies Record<string, AuthorizeProblem>;

export function authorizeRoutes(state: EmulatorState) {
  return async function authorize(ctx: Context, next: Next): Promise<void> {
    if (ctx.path === AUTHORIZE_PATH) {
      if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return htmlAnswer(ctx, 405, errorPage(PROBLEMS.getOnly));
      return start(ctx, state);
    }
    if (ctx.path === `${AUTHORIZE_PATH}/choose` || ctx.path === `${AUTHORIZE_PATH}/consent`) {
      if (ctx.method !== 'POST') return htmlAnswer(ctx, 405, errorPage(PROBLEMS.postOnly));
      if (fromAnotherSite(ctx)) return htmlAnswer(ctx, 403, errorPage(PROBLEMS.crossSite));
      let form: URLSearchParams;
      try {
        form = await readForm(ctx);
      } catch (error) {
        if (!(error instanceof BodyTooLargeError)) throw error;
        return htmlAnswer(ctx, 413, errorPage(PROBLEMS.tooLarge));
      }
      return ctx.path.endsWith('/choose') ? choose(ctx, state, form) : consent(ctx, state, form);
    }
    await next();
  };
}

/** The authorize URL itself. */
function start(ctx: Context, state: EmulatorState): void {
  const request = check(ctx, state, ctx.querystring);
  if (request === undefined) return;
  if (request.script !== undefined) return scripted(ctx, state, request);
  const remembered = state.users.get(ctx.cookies.get(PHONE_COOKIE) ?? '');
  if (remembered !== undefined) return proceed(ctx, state, request, remembered);
  htmlAnswer(ctx, 200, pickerPage(phoneContext(state, request), state.users.list()));
}

/** `emulator_user=<name>` after state: pick or create that user without a page. */
function scripted(ctx: Context, state: EmulatorState, request: AuthorizeRequest): void {
  const script = request.script!;
  let user = state.users.findByNickname(script.nickname);
  if (user === undefined) user = createUserNow(state, { nickname: script.nickname, subscribed: script.subscribed });
  remember(ctx, user);
  if (request.scope === 'snsapi_userinfo') {
    if (script.snapshot) return sendBack(ctx, state, request, { openid: state.ids.snapshotOpenid(), snapshot: true });
    if (script.consent === 'refuse') return refused(ctx, state, request);
    state.users.recordConsent(user.openid);
  }
  sendBack(ctx, state, request, { openid: user.openid, snapshot: false });
}

/** The picker's form: an existing user (`openid`) or a new one (`nickname`, `subscribed`). */
function choose(ctx: Context, state: EmulatorState, form: URLSearchParams): void {
  const request = check(ctx, state, form.get('q') ?? '');
  if (request === undefined) return;
  let user: EmulatorUser | undefined;
  const openid = form.get('openid');
  if (openid !== null) {
    user = state.users.get(openid);
    if (user === undefined) return htmlAnswer(ctx, 400, errorPage(PROBLEMS.unknownUser));
  } else {
    try {
      user = createUserNow(state, { nickname: form.get('nickname') ?? '', subscribed: form.get('subscribed') === '1' });
    } catch (error) {
      return htmlAnswer(
        ctx,
        400,
        errorPage({ code: undefined, zh: '昵称错误', en: `The nickname ${(error as Error).message}.`, fix: 'go back and choose another nickname.' }),
      );
    }
  }
  remember(ctx, user);
  proceed(ctx, state, request, user);
}

/** The consent sheet's form: allow, refuse, or open as a snapshot page. */
function consent(ctx: Context, state: EmulatorState, form: URLSearchParams): void {
  const request = check(ctx, state, form.get('q') ?? '');
  if (request === undefined) return;
  const user = state.users.get(form.get('openid') ?? '');
  if (user === undefined) return htmlAnswer(ctx, 400, errorPage(PROBLEMS.unknownUser));
  const decision = form.get('decision');
  if (decision === 'refuse') return refused(ctx, state, request);
  if (decision === 'snapshot' && request.scope === 'snsapi_userinfo') {
    return sendBack(ctx, state, request, { openid: state.ids.snapshotOpenid(), snapshot: true });
  }
  if (decision !== 'allow') return htmlAnswer(ctx, 400, errorPage(PROBLEMS.unknownDecision));
  state.users.recordConsent(user.openid);
  sendBack(ctx, state, request, { openid: user.openid, snapshot: false });
}

/** A known user: snsapi_base is silent; snsapi_userinfo asks once (every time with forcePopup=true). */
function proceed(ctx: Context, state: EmulatorState, request: AuthorizeRequest, user: EmulatorUser): void {
  if (request.scope === 'snsapi_userinfo' && (!user.consented || request.forcePopup)) {
    return htmlAnswer(ctx, 200, consentPage(phoneContext(state, request), user));
  }
  sendBack(ctx, state, request, { openid: user.openid, snapshot: false });
}

function sendBack(ctx: Context, state: EmulatorState, request: AuthorizeRequest, who: { openid: string; snapshot: boolean }): void {
  state.site.url = new URL(request.redirectUri).origin;
  const code = state.grants.issueCode({ openid: who.openid, scope: request.scope, snapshot: who.snapshot });
  const callback = callbackUrl(request.redirectUri, { code, state: request.state });
  if (state.switches.doubleRedirect) return htmlAnswer(ctx, 200, doubleRedirectPage(callback));
  ctx.redirect(callback);
}

function refused(ctx: Context, state: EmulatorState, request: AuthorizeRequest): void {
  if (state.switches.onRefuse === 'redirect') return ctx.redirect(callbackUrl(request.redirectUri, { state: request.state }));
  htmlAnswer(ctx, 200, refusedPage(phoneContext(state, request)));
}

/** Checks the authorize request; on a problem, writes WeChat's error page and returns undefined. */
function check(ctx: Context, state: EmulatorState, query: string): AuthorizeRequest | undefined {
  const parsed = parseAuthorizeRequest(query, state.options);
  if (parsed.ok) return parsed.request;
  htmlAnswer(ctx, 400, errorPage(parsed.problem));
  return undefined;
}

function remember(ctx: Context, user: EmulatorUser): void {
  ctx.cookies.set(PHONE_COOKIE, user.openid, { httpOnly: true, sameSite: 'lax', signed: false, overwrite: true });
}

function phoneContext(state: EmulatorState, request: AuthorizeRequest) {
  return { accountName: state.options.accountName, query: request.query, scope: request.scope };
}

function htmlAnswer(ctx: Context, status: number, body: string): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = body;
}

/** For the console: the user this browser's phone remembers, if any. */
export function phoneUserOf(ctx: Context, state: EmulatorState): EmulatorUser | undefined {
  return state.users.get(ctx.cookies.get(PHONE_COOKIE) ?? '');
}

/** For the console: forgets which user holds the phone. */
export function forgetPhoneUser(ctx: Context): void {
  ctx.cookies.set(PHONE_COOKIE, null, { overwrite: true });
}
