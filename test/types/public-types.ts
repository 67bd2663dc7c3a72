/**
 * The public types, pinned: `npm run typecheck` compiles this file, so a regression in an option's type, in
 * the `ctx.state` augmentation of Koa's DefaultState or in an error's fields fails the check. Each
 * `@ts-expect-error` line must stay an error (tsc reports an unused one), and each `Equal` must stay true.
 * Nothing here runs; it is imported from the package's public entry points only.
 */
import Koa, { type Context, type Middleware } from 'koa';
import {
  createWeChat,
  requireSubscription,
  WeChatApiError,
  WeChatError,
  WeChatOptionsError,
  WeChatSetupError,
  WeChatStatusUnknownError,
  WeChatUnavailableError,
  type DropInMiddleware,
  type ErrorCategory,
  type GateOptions,
  type RequireSubscriptionOptions,
  type UnavailableReason,
  type WeChat,
  type WeChatOptions,
  type WeChatPage,
  type WeChatPageKind,
  type WeChatUser,
} from '../../lib/index.js';
import type { Emulator, EmulatorOptions } from '../../lib/emulator/index.js';

/** True only when A and B are the same type (not merely assignable either way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

const account = { appId: 'wx1234567890abcdef', appSecret: 'secret' };

export function options(): void {
  const wechat: WeChat = createWeChat({ ...account, accountName: 'Demo', callbackPath: '/wechat/callback', statusTtl: 300 });
  const dropIn: DropInMiddleware = requireSubscription({ ...account, enforce: true, scope: 'snsapi_userinfo', onUnknown: 'allow' });
  const middleware: Middleware = dropIn;
  void [wechat.requireSubscription({ statusMaxAge: 60, signInMaxAge: 3600 }), middleware, dropIn.wechat.close()];

  // @ts-expect-error appId and appSecret are required
  createWeChat({ accountName: 'Demo' });
  // @ts-expect-error an unknown option is an excess property
  createWeChat({ ...account, statusTTL: 300 });
  // @ts-expect-error a route option is not createWeChat's
  createWeChat({ ...account, enforce: true });
  // @ts-expect-error the scope is one of WeChat's two
  requireSubscription({ ...account, scope: 'snsapi_login' });
  // @ts-expect-error enforce is a boolean
  wechat.requireSubscription({ enforce: 'yes' });
  // @ts-expect-error onUnknown is 'deny' or 'allow'
  wechat.requireSubscription({ onUnknown: 'ignore' });
  // @ts-expect-error durations are numbers of seconds
  wechat.requireSubscription({ statusMaxAge: '60s' });

  assertType<Equal<GateOptions['scope'], 'snsapi_base' | 'snsapi_userinfo' | undefined>>();
  assertType<Equal<GateOptions['onNotSubscribed'], ((ctx: Context) => unknown) | undefined>>();
  assertType<Equal<RequireSubscriptionOptions['enforce'], boolean | undefined>>();
}

export function renderPage(): void {
  createWeChat({ ...account, renderPage: (ctx, page) => ctx.render?.('wechat-page', page) });
  createWeChat({
    ...account,
    async renderPage(ctx, page) {
      await Promise.resolve();
      ctx.body = `${page.title.zh} ${page.text.en} ${page.status} ${page.home} ${page.follow?.accountName ?? ''} ${page.action?.href ?? ''}`;
    },
  });
  // @ts-expect-error renderPage is a function (ctx, page)
  createWeChat({ ...account, renderPage: 'wechat-page' });
  assertType<Equal<WeChatPage['kind'], WeChatPageKind>>();
  assertType<
    Equal<WeChatPageKind, 'stateMismatch' | 'cookiesRequired' | 'signInFailed' | 'signInRequired' | 'notSubscribed' | 'openInWeChat' | 'unavailable'>
  >();
  assertType<Equal<WeChatPage['status'], number>>();
  const page = {} as WeChatPage;
  // @ts-expect-error a page is read-only
  page.status = 200;
  // @ts-expect-error its texts are plain strings, not markup
  const markup: { __html: string } = page.text.en;
  void markup;
  assertType<Equal<WeChatPage['text']['en'], string>>();
}

declare module 'koa' {
  // Only to prove the augmentation merges with a site's own fields on ctx.state.
  interface DefaultState {
    site?: unknown;
  }
}

export function state(): void {
  const app = new Koa();
  app.use((ctx) => {
    assertType<Equal<typeof ctx.state.openid, string | undefined>>();
    assertType<Equal<typeof ctx.state.isConcern, boolean | undefined>>();
    assertType<Equal<typeof ctx.state.snapshotUser, boolean | undefined>>();
    assertType<Equal<typeof ctx.state.wechatUser, WeChatUser | undefined>>();
    // @ts-expect-error isConcern is a boolean, never a number (the recipe's subscribe: 1)
    const subscribe: number | undefined = ctx.state.isConcern;
    void subscribe;
    const user = ctx.state.wechatUser;
    if (user !== undefined && user.subscribe === 1) {
      const since: number = user.subscribe_time;
      void since;
    }
  });
}

export function errors(error: unknown): void {
  if (error instanceof WeChatApiError) {
    assertType<Equal<typeof error.errcode, number>>();
    assertType<Equal<typeof error.category, ErrorCategory>>();
    const hint: { en: string; zh: string } = error.hint;
    void hint;
  }
  if (error instanceof WeChatUnavailableError) assertType<Equal<typeof error.reason, UnavailableReason>>();
  if (error instanceof WeChatStatusUnknownError) assertType<Equal<typeof error.cause, WeChatError>>();
  if (error instanceof WeChatOptionsError) assertType<Equal<typeof error.option, string>>();
  if (error instanceof WeChatError) {
    assertType<Equal<typeof error.code, string>>();
    assertType<Equal<typeof error.status, number>>();
    assertType<Equal<typeof error.expose, boolean>>();
    // @ts-expect-error the fields are read-only
    error.status = 500;
  }
  const setup: WeChatError = new WeChatSetupError('app.keys is not set');
  void setup;
}

export function emulator(options: EmulatorOptions, running: Emulator): void {
  void [options.seed, running.url, running.findUser('Band')?.openid];
  // @ts-expect-error the emulator's users are named by nickname
  void running.findUser(42);
}

export type { WeChatOptions };
