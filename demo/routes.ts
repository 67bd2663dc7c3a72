/**
 * Which controller serves which path, behind which gate. Every gate comes from one `createWeChat`, so the
 * routes share one token and one status cache; the library's callback is mounted by the app, before these.
 */
import Router from '@koa/router';
import type { WeChat } from '../lib/index.js';
import type { DemoConfig } from './config.js';
import { me } from './controllers/api.js';
import { home } from './controllers/home.js';
import { members } from './controllers/members.js';
import { page } from './controllers/page.js';
import { logout } from './controllers/session.js';

export function demoRoutes(wechat: WeChat, config: DemoConfig): Router {
  // Detect: everyone passes, told apart by ctx.state.isConcern. Enforce: non-followers get the 403 follow page.
  const detect = wechat.requireSubscription({ scope: config.scope });
  const enforce = wechat.requireSubscription({ scope: config.scope, enforce: true });
  const router = new Router();
  router.get('/', home);
  router.get('/page', detect, page);
  router.get('/members', enforce, members);
  router.get('/api/me', detect, me);
  // POST from the pages' button; GET too, so that typing /logout works.
  router.get('/logout', logout);
  router.post('/logout', logout);
  return router;
}
