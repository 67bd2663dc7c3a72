/**
 * The demo site: a Koa app made of the request log, EJS views, koa-session, the library's callback and the
 * demo's routes. `startDemo` (start.ts) gives it its WeChat: a real account, or the embedded emulator.
 */
import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import session from 'koa-session';
import views from 'koa-views';
import type { WeChat } from '../lib/index.js';
import type { DemoConfig } from './config.js';
import { errorPages } from './error-pages.js';
import type { SessionStore } from './redis.js';
import { reportError, requestLog, type LogLine } from './request-log.js';
import { demoRoutes } from './routes.js';

const VIEWS = fileURLToPath(new URL('../views', import.meta.url));

export interface DemoAppOptions {
  config: DemoConfig;
  wechat: WeChat;
  /** The embedded emulator's URL, for the links to its console; undefined on a real account. */
  emulatorUrl?: string;
  /** Where the log lines go. Default: stdout. */
  log?: LogLine;
  /** koa-session's external store (Redis, with REDIS_URL); default: sessions in the signed cookie. */
  sessionStore?: SessionStore;
}

export function createDemoApp({ config, wechat, emulatorUrl, log = stdout, sessionStore }: DemoAppOptions): Koa {
  const app = new Koa();
  app.keys = [...config.sessionKeys];
  app.on('error', reportError(log));
  // The demo serves plain HTTP. An https PUBLIC_URL means a proxy in front ends TLS: the session cookie is then
  // Secure whether or not that proxy sends X-Forwarded-Proto (nginx's plain proxy_pass does not).
  const publicTls = config.publicUrl?.startsWith('https:') === true;

  app.use(requestLog(log));
  app.use(async (ctx, next) => {
    // What every view's layout prints; set first, so that an error page has it too.
    ctx.state.site = { accountName: wechat.site.accountName, emulatorUrl, scope: config.scope };
    if (publicTls) ctx.cookies.secure = true;
    await next();
  });
  app.use(views(VIEWS, { extension: 'ejs', options: { cache: config.production } }));
  app.use(errorPages());
  // SameSite=Lax: the cookie still comes back on WeChat's top-level redirect to the callback.
  // With a store, the cookie holds only the session's key, and every process reads the session from Redis.
  app.use(
    session(
      {
        key: 'demo.sess',
        httpOnly: true,
        sameSite: 'lax',
        secure: publicTls,
        maxAge: 86_400_000,
        ...(sessionStore === undefined ? {} : { store: sessionStore }),
      },
      app,
    ),
  );
  app.use(wechat.routes());
  const router = demoRoutes(wechat, config);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

function stdout(line: string): void {
  process.stdout.write(`${line}\n`);
}
