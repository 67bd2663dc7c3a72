/**
 * Which controller serves which path, behind which gate. Every gate comes from one `createWeChat`, so the
 * routes share one token and one status cache; the library's callback is mounted by the app, before these.
 */
import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { WeChat } from '../lib/index.js';
import type { DemoConfig } from './config.js';
import { me } from './controllers/api.js';
import { home } from './controllers/home.js';
import { members } from './controllers/members.js';
import { page } from './controllers/page.js';
import { confirmLogout, logout } from './controllers/session.js';

export function demoRoutes(wechat: WeChat, config: DemoConfig): Router {
  // Detect: everyone passes, told apart by ctx.state.isConcern. Enforce: non-followers get the 403 follow page.
  const detect = wechat.requireSubscription({ scope: config.scope });
  const enforce = wechat.requireSubscription({ scope: config.scope, enforce: true });
  const router = new Router();
  router.get('/', home);
  router.get('/page', personal, detect, page);
  router.get('/members', personal, enforce, members);
  router.get('/api/me', personal, detect, me);
  // Signing out changes state: only a POST does it (a cross-site POST carries no SameSite=Lax cookie). A GET,
  // such as a typed /logout or another site's link, gets the button.
  router.get('/logout', confirmLogout);
  router.post('/logout', logout);
  return router;
}

/** Pages about one visitor: no cache may keep them (WeChat's in-app browser caches hard, and proxies may share). */
const personal: Middleware = async (ctx, next) => {
  ctx.set('Cache-Control', 'no-store');
  await next();
};
