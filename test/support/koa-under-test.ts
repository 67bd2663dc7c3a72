/**
 * The Koa the middleware suites run on: Koa 3, or Koa 2 (`koa2` = npm:koa@2.16.4) with `KOA_MAJOR=2`, which
 * `npm run test:koa2` sets. Both majors are in the peer range, so every suite that mounts the middleware runs
 * on each (`npm test` runs both legs).
 */
import Koa from 'koa';
import Koa2 from 'koa2';

export const KOA_UNDER_TEST: { readonly name: string; readonly Koa: typeof Koa } =
  process.env.KOA_MAJOR === '2' ? { name: 'Koa 2', Koa: Koa2 } : { name: 'Koa 3', Koa };
