/**
 * WeChat's message push, served at `push.path` by `routes()` and by every gate that sees the path: the URL
 * check (GET) and pushed events and messages (POST). The checks are the core's (`PushReceiver`); this reads the
 * body within bounds, hands a new push to the shared inbox, lets the site's hook reply, and answers within
 * WeChat's 5 seconds whatever the store or the hook do.
 */
import type { Context } from 'koa';
import { WeChatSetupError } from '../errors.js';
import type { ResolvedPushOptions } from '../options.js';
import type { PushRefusal } from '../push/receiver.js';
import { buildReplyXml, type PushReply } from '../push/reply.js';
import type { WeChatPush } from '../push/message.js';
import { describeForeignError } from '../util/logger.js';
import { BodyTooLargeError, BodyUnreadableError, readBodyBytes } from '../util/read-body.js';
import { browserPath } from './request.js';
import type { SiteServices } from './site-services.js';

/** WeChat's pushes are a few kilobytes; a text message is at most 2,048 bytes. */
const MAX_BODY_BYTES = 64 * 1024;
/** A client that sends its body slower than this is cut off: the endpoint never waits on a peer unbounded. */
const BODY_TIMEOUT_MS = 10_000;
/** One warning per kind of refusal in this time: a misconfigured token would otherwise log every push. */
const WARN_EVERY_MS = 60_000;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The push path's answer; `matches` is a plain compare, so a gated request pays no extra await for it. */
export interface PushEndpoint {
  matches(ctx: Context): boolean;
  serve(ctx: Context): Promise<void>;
}

/** Undefined when no push is configured. */
export function createPushEndpoint({ services, site }: SiteServices): PushEndpoint | undefined {
  const push = site.push;
  if (push === undefined) return undefined;
  const warnedAt = new Map<string, number>();
  const warn = (kind: string, line: string): void => {
    const now = Date.now();
    if (now - (warnedAt.get(kind) ?? -Infinity) < WARN_EVERY_MS) return;
    warnedAt.set(kind, now);
    services.logger.warn(`koa-wechat-subscription: ${line} (said at most once a minute)`);
  };
  const refuse = (ctx: Context, refusal: PushRefusal): void => {
    if (refusal.status === 401)
      warn('signature', `a push to ${push.path} was refused: ${refusal.reason}; check that push.token is the MP console's Token`);
    else if (refusal.status === 403) warn('timestamp', `a push to ${push.path} was refused: ${refusal.reason}; check this server's clock`);
    else warn(`bad:${refusal.reason}`, `a push to ${push.path} was refused: ${refusal.reason}`);
    return plain(ctx, refusal.status, refusal.reason);
  };

  const serve = async (ctx: Context): Promise<void> => {
    // A push answer is for WeChat alone: never cached, never sniffed into HTML.
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Content-Type-Options', 'nosniff');
    const now = Math.floor(Date.now() / 1000);
    if (ctx.method === 'GET') {
      const check = push.receiver.checkUrl(ctx.query, now);
      return check.ok ? plain(ctx, 200, check.echostr) : refuse(ctx, check);
    }
    if (ctx.method !== 'POST') {
      ctx.set('Allow', 'GET, POST');
      return plain(ctx, 405, 'WeChat checks this URL with GET and pushes with POST');
    }
    const body = await readBody(ctx);
    if (typeof body !== 'string') return plain(ctx, body.status, body.reason);
    const opened = push.receiver.open(ctx.query, body, now);
    if (!opened.ok) return refuse(ctx, opened);
    // A replayed copy is accepted until its timestamp leaves the window, which may sit ahead of our clock.
    const rememberMs = (2 * push.timestampWindow + 60) * 1000;
    if ((await services.pushes.receive(opened.push, rememberMs)) === 'duplicate') return plain(ctx, 200, 'success');
    const reply = await replyOf(push, opened.push, ctx, warn);
    if (reply === undefined) return plain(ctx, 200, 'success');
    ctx.status = 200;
    ctx.type = 'text/xml';
    ctx.body = reply;
  };
  return { matches: (ctx) => browserPath(ctx) === push.path, serve };
}

/** The hook's reply, sealed for the mode, or undefined: no hook, no reply, a late or failing hook, a bad reply. */
async function replyOf(
  push: ResolvedPushOptions,
  event: WeChatPush,
  ctx: Context,
  warn: (kind: string, line: string) => void,
): Promise<string | undefined> {
  if (push.onEvent === undefined) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), push.replyTimeout * 1000);
  });
  const hook = (async () => push.onEvent!(event, ctx))();
  // The hook may still fail after the answer went: its error goes where the app's errors go, never unhandled.
  hook.catch((error: unknown) => ctx.app.emit('error', error, ctx));
  let reply: PushReply | undefined | void | 'late';
  try {
    reply = await Promise.race([hook, late]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
  if (reply === 'late') {
    warn('late', `push.onEvent took longer than push.replyTimeout (${push.replyTimeout} s); the push was answered without its reply`);
    return undefined;
  }
  if (reply === undefined || reply === null) return undefined;
  try {
    const now = Math.floor(Date.now() / 1000);
    return push.receiver.seal(buildReplyXml(event, reply, now), now);
  } catch (error) {
    warn(
      'reply',
      `push.onEvent gave a reply WeChat would not show (${error instanceof TypeError ? error.message : describeForeignError(error)}); the push was answered without it`,
    );
    return undefined;
  }
}

/** The raw body, within its size and time bounds, or why not. */
async function readBody(ctx: Context): Promise<string | { status: 400 | 408; reason: string }> {
  // A body parser mounted before us may have kept the raw text (koa-bodyparser, @koa/bodyparser do).
  const raw = (ctx.request as { rawBody?: unknown }).rawBody;
  if (typeof raw === 'string') return Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES ? tooLarge() : raw;
  if (ctx.req.readableEnded) {
    throw new WeChatSetupError(
      'A body parser mounted before the push endpoint read the push and kept no raw body. Mount wechat.routes() (or the gate) before the body parser, or make the parser keep ctx.request.rawBody for text/xml',
    );
  }
  let bytes: Buffer;
  try {
    bytes = await readBodyBytes(ctx.req, { limit: MAX_BODY_BYTES, timeoutMs: BODY_TIMEOUT_MS });
  } catch (error) {
    if (error instanceof BodyTooLargeError) return tooLarge();
    if (error instanceof BodyUnreadableError) return { status: 408, reason: error.message };
    throw error;
  }
  try {
    return utf8.decode(bytes);
  } catch {
    return { status: 400, reason: 'the body is not UTF-8' };
  }
}

function tooLarge(): { status: 400; reason: string } {
  return { status: 400, reason: `the body is over ${MAX_BODY_BYTES / 1024} KiB; WeChat's pushes are a few kilobytes` };
}

function plain(ctx: Context, status: number, text: string): void {
  ctx.status = status;
  ctx.type = 'text/plain';
  ctx.body = text;
}
