/**
 * The one-line form: `app.use(requireSubscription({ appId, appSecret }))` creates the shared services, serves
 * the callback, and gates every request after it. For several routes with different rules, use
 * `createWeChat(options)` and its `routes()` and `requireSubscription()` instead.
 */
import type { Middleware } from 'koa';
import { createWeChat, type WeChat } from '../create-wechat.js';
import { WeChatOptionsError } from '../errors.js';
import { WECHAT_OPTION_NAMES, type WeChatOptions } from '../options.js';
import { rejectUnknownOptions } from '../util/option-checks.js';
import { GATE_OPTION_NAMES, type GateOptions } from './options.js';

/** `statusTtl` is the services' own here: there is one route, so nothing to override. */
export type RequireSubscriptionOptions = WeChatOptions & Omit<GateOptions, 'statusTtl'>;

/** The middleware, with the services it created: `wechat.subscriptions.record()` for push events, `wechat.close()` at shutdown. */
export type DropInMiddleware = Middleware & { readonly wechat: WeChat };

const DROP_IN_GATE_NAMES = GATE_OPTION_NAMES.filter((name) => name !== 'statusTtl');

/**
 * ```ts
 * app.keys = [process.env.SESSION_KEY];
 * app.use(session(app));
 * app.use(requireSubscription({ appId, appSecret }));
 * ```
 * @throws {WeChatOptionsError} when an option is missing, misspelt or wrong.
 */
export function requireSubscription(options: RequireSubscriptionOptions): DropInMiddleware {
  if (options === null || typeof options !== 'object') {
    throw new WeChatOptionsError('options', 'expected an object with at least appId and appSecret');
  }
  rejectUnknownOptions(options, [...WECHAT_OPTION_NAMES, ...DROP_IN_GATE_NAMES]);
  const serviceOptions: Record<string, unknown> = {};
  const gateOptions: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) {
    ((DROP_IN_GATE_NAMES as readonly string[]).includes(name) ? gateOptions : serviceOptions)[name] = value;
  }
  const wechat = createWeChat(serviceOptions as unknown as WeChatOptions);
  const callback = wechat.routes();
  const gate = wechat.requireSubscription(gateOptions);
  const middleware: Middleware = async (ctx, next) => {
    await callback(ctx, async () => {
      await gate(ctx, next);
    });
  };
  return Object.assign(middleware, { wechat });
}
