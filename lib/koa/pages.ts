/**
 * The answers the middleware gives on its own: short pages in English and Chinese for browsers, and JSON with
 * a stable `error` code for API calls. None holds a stack, a secret or a link that could loop. A site's
 * `renderPage` renders the pages with its own templates; the JSON answers stay the library's.
 */
import type { Context } from 'koa';
import type { WeChatError } from '../errors.js';
import type { ResolvedSiteOptions } from '../options.js';
import type { WeChatPage, WeChatPageKind } from '../types.js';
import { html } from '../util/html.js';
import { homePath, wantsJson } from './request.js';

export interface Answer {
  status: number;
  /** The JSON `error` field: stable, for programs. */
  error: string;
  title: { en: string; zh: string };
  en: string;
  zh: string;
  /** A link for the next step, a local path or WeChat's authorize URL. */
  action?: { href: string; label: string };
  /** Extra fields of the JSON answer. */
  json?: Record<string, unknown>;
}

export const ANSWERS = {
  stateMismatch: {
    status: 400,
    error: 'wechat_state_mismatch',
    title: { en: 'This sign-in link is not valid here', zh: '登录链接无效' },
    en: 'The sign-in was not started in this browser, or it was already used. Nothing was changed.',
    zh: '该登录不是在此浏览器中发起的，或已被使用。未做任何更改。',
  },
  cookiesRequired: {
    status: 400,
    error: 'wechat_cookies_required',
    title: { en: 'Cookies are required', zh: '需要启用 Cookie' },
    en: 'This site remembers your sign-in with a cookie, and your browser did not send it back. Allow cookies for this site and try again.',
    zh: '本站通过 Cookie 记住您的登录状态，但浏览器未返回它。请允许本站使用 Cookie 后重试。',
  },
  signInFailed: {
    status: 400,
    error: 'wechat_sign_in_failed',
    title: { en: 'Sign-in did not complete', zh: '登录未完成' },
    en: 'WeChat did not confirm who you are (the authorization was refused, or its code had expired or been used). Try again.',
    zh: '微信未能确认您的身份（授权被拒绝，或授权码已过期或已使用）。请重试。',
  },
  notSubscribed: {
    status: 403,
    error: 'wechat_not_subscribed',
    title: { en: 'Follow us to continue', zh: '关注后继续' },
    en: 'This page is for followers of the Official Account.',
    zh: '此页面仅对公众号关注者开放。',
  },
  openInWeChat: {
    status: 403,
    error: 'wechat_browser_required',
    title: { en: 'Open this page in WeChat', zh: '请在微信客户端打开链接' },
    en: 'This page works inside WeChat only. Open it from WeChat on your phone.',
    zh: '此页面仅可在微信内打开，请在手机微信中访问。',
  },
  signInRequired: {
    status: 401,
    error: 'wechat_auth_required',
    title: { en: 'Sign in with WeChat', zh: '请通过微信登录' },
    en: 'This request needs you to be signed in with WeChat.',
    zh: '此请求需要先通过微信登录。',
  },
  unavailable: {
    status: 503,
    error: 'wechat_unavailable',
    title: { en: 'WeChat could not be reached', zh: '暂时无法连接微信' },
    en: 'We could not check your WeChat account just now. Please try again in a moment.',
    zh: '暂时无法验证您的微信账号，请稍后重试。',
  },
} satisfies Record<WeChatPageKind, Answer>;

/**
 * Answers with the page (the site's `renderPage`, else the library's own), or with JSON when the request asks
 * for it. Status and `Cache-Control: no-store` are the library's whatever renders the page.
 */
export async function answer(ctx: Context, site: ResolvedSiteOptions, kind: WeChatPageKind, changes: Partial<Answer> = {}): Promise<void> {
  const { status, error, title, en, zh, action, json } = { ...ANSWERS[kind], ...changes };
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  if (wantsJson(ctx)) {
    ctx.body = { error, message: en, ...json };
    return;
  }
  const page: WeChatPage = Object.freeze({
    kind,
    status,
    error,
    title,
    text: { en, zh },
    action,
    home: homePath(ctx),
    follow: kind === 'notSubscribed' ? { accountName: site.accountName, qrCodeUrl: site.qrCodeUrl } : undefined,
  });
  if (site.renderPage !== undefined) {
    await site.renderPage(ctx, page);
    // A template engine may have set its own; the page's status is the library's.
    ctx.status = status;
    ctx.set('Cache-Control', 'no-store');
    // A hook that renders only some pages leaves the others to the library.
    if (ctx.body != null) return;
  }
  ctx.type = 'html';
  ctx.body = builtInPage(page);
}

/**
 * WeChat could not be asked, or refused to answer: a 502/503 page for the visitor, and the typed error for
 * `app.on('error')`, where the developer sees which. Neither holds a secret.
 */
export async function answerUnavailable(ctx: Context, site: ResolvedSiteOptions, error: WeChatError): Promise<void> {
  await answer(ctx, site, 'unavailable', { status: error.status >= 500 ? error.status : 502, json: { code: error.code } });
  ctx.app.emit('error', error, ctx);
}

/** The library's own page: no external resource (the favicon too is inline, or the browser asks for /favicon.ico). */
function builtInPage({ error, title, text, action, home, follow }: WeChatPage): string {
  return html`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><link rel="icon" href="data:,"><title>${title.zh} · ${title.en}</title>
<style>body{margin:0;font:16px/1.6 -apple-system,"PingFang SC","Helvetica Neue",Arial,sans-serif;background:#ededed;color:#191919}
main{max-width:480px;margin:0 auto;padding:32px 20px}.card{background:#fff;border-radius:8px;padding:20px}
h1{font-size:20px;margin:0 0 12px}p{margin:0 0 10px}.en{color:#7f7f7f;font-size:14px}
a.button{display:inline-block;margin-top:8px;border-radius:6px;padding:9px 16px;background:#07c160;color:#fff;text-decoration:none;font-weight:600}
a.home{display:inline-block;margin:8px 0 0 12px;color:#576b95}
img.qr{display:block;width:200px;height:200px;margin:12px auto}</style></head>
<body><main><div class="card" data-error="${error}">
<h1>${title.zh}<br><span class="en">${title.en}</span></h1>
<p>${text.zh}</p><p class="en">${text.en}</p>${follow === undefined ? '' : followPrompt(follow)}
${action === undefined ? '' : html`<a class="button" href="${action.href}">${action.label}</a>`}<a class="home" href="${home}">首页 · Home</a>
</div></main></body></html>`.text;
}

function followPrompt({ accountName, qrCodeUrl }: NonNullable<WeChatPage['follow']>) {
  return html`<p>长按识别二维码关注「${accountName}」，然后刷新此页。</p>
<p class="en">Follow ${accountName} (long-press the QR code in WeChat), then reload this page.</p>
${qrCodeUrl === undefined ? '' : html`<img class="qr" src="${qrCodeUrl}" alt="QR code of ${accountName}">`}`;
}
