/** `/cgi-bin/token` and `/cgi-bin/stable_token`: the global access token. */
import { refuse, answer } from '../http/answer.js';
import { parseJsonObject, readBody } from '../http/body.js';
import { appCallErrcode, field, param } from '../http/params.js';
import type { Endpoint } from './endpoint.js';

export const classicToken: Endpoint = {
  path: '/cgi-bin/token',
  method: 'GET',
  flavor: 'cgi',
  handle(ctx, state) {
    const query = new URLSearchParams(ctx.querystring);
    const call = { appid: param(query, 'appid'), secret: param(query, 'secret'), grantType: param(query, 'grant_type') };
    const errcode = appCallErrcode(call, 'client_credential', state.options);
    if (errcode !== 0) return refuse(ctx, 'cgi', errcode, state.clock.unixSeconds());
    if (!state.traffic.takeQuota('token')) return refuse(ctx, 'cgi', 45009, state.clock.unixSeconds());
    answer(ctx, 'cgi', { ...state.tokens.mintClassic() });
  },
};

export const stableToken: Endpoint = {
  path: '/cgi-bin/stable_token',
  method: 'POST',
  flavor: 'cgi',
  async handle(ctx, state) {
    // JSON only: a form body (or anything else) reads as no parameters at all, hence 41002 appid missing.
    const body = parseJsonObject(await readBody(ctx)) ?? {};
    const call = { appid: field(body, 'appid'), secret: field(body, 'secret'), grantType: field(body, 'grant_type') };
    const errcode = appCallErrcode(call, 'client_credential', state.options);
    if (errcode !== 0) return refuse(ctx, 'cgi', errcode, state.clock.unixSeconds());
    if (!state.traffic.takeQuota('stableToken')) return refuse(ctx, 'cgi', 45009, state.clock.unixSeconds());
    const force = body.force_refresh === true;
    // Only a force refresh that would rotate counts against the 20 a day.
    if (force && state.tokens.forceRefreshWouldRotate() && !state.traffic.takeQuota('forceRefresh')) {
      return refuse(ctx, 'cgi', 45009, state.clock.unixSeconds());
    }
    answer(ctx, 'cgi', { ...(force ? state.tokens.forceStable() : state.tokens.stable()) });
  },
};
