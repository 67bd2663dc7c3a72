/**
 * The `/sns/*` endpoints of web authorization. They answer JSON labelled `text/plain`, as WeChat's do, and
 * take the visitor's OAuth token, never the global one.
 */
import type { Context } from 'koa';
import { answer, refuse } from '../http/answer.js';
import { selfOrigin } from '../http/forms.js';
import { appCallErrcode, param } from '../http/params.js';
import { OAUTH_TOKEN_LIFETIME, type Grant } from '../state/oauth-grants.js';
import type { EmulatorState } from '../state/index.js';
import type { Endpoint } from './endpoint.js';

export const exchangeCode: Endpoint = {
  path: '/sns/oauth2/access_token',
  method: 'GET',
  flavor: 'sns',
  handle(ctx, state) {
    const query = new URLSearchParams(ctx.querystring);
    const call = { appid: param(query, 'appid'), secret: param(query, 'secret'), grantType: param(query, 'grant_type') };
    const code = param(query, 'code');
    let errcode = appCallErrcode(call, 'authorization_code', state.options);
    if (errcode === 0 && code.state !== 'present') errcode = code.state === 'missing' ? 41008 : 40029;
    if (errcode !== 0 || code.state !== 'present') return refuse(ctx, 'sns', errcode, state.clock.unixSeconds());
    const redeemed = state.grants.redeem(code.value);
    if (redeemed.errcode !== 0) return refuse(ctx, 'sns', redeemed.errcode, state.clock.unixSeconds());
    const { grant } = redeemed;
    answer(ctx, 'sns', {
      access_token: redeemed.accessToken,
      expires_in: OAUTH_TOKEN_LIFETIME,
      refresh_token: redeemed.refreshToken,
      openid: grant.openid,
      scope: grant.scope,
      ...(grant.snapshot ? { is_snapshotuser: 1 } : {}),
      ...unionidOf(state, grant),
    });
  },
};

export const refreshToken: Endpoint = {
  path: '/sns/oauth2/refresh_token',
  method: 'GET',
  flavor: 'sns',
  handle(ctx, state) {
    const query = new URLSearchParams(ctx.querystring);
    const token = param(query, 'refresh_token');
    // No secret here: the refresh token is the credential.
    const call = { appid: param(query, 'appid'), secret: 'none' as const, grantType: param(query, 'grant_type') };
    let errcode = appCallErrcode(call, 'refresh_token', state.options);
    if (errcode === 0 && token.state !== 'present') errcode = token.state === 'missing' ? 41003 : 40030;
    if (errcode !== 0 || token.state !== 'present') return refuse(ctx, 'sns', errcode, state.clock.unixSeconds());
    const refreshed = state.grants.refresh(token.value);
    if (refreshed.errcode !== 0) return refuse(ctx, 'sns', refreshed.errcode, state.clock.unixSeconds());
    answer(ctx, 'sns', {
      access_token: refreshed.accessToken,
      expires_in: OAUTH_TOKEN_LIFETIME,
      refresh_token: token.value,
      openid: refreshed.grant.openid,
      scope: refreshed.grant.scope,
    });
  },
};

export const checkOAuthToken: Endpoint = {
  path: '/sns/auth',
  method: 'GET',
  flavor: 'sns',
  handle(ctx, state) {
    const grant = grantOfCall(ctx, state);
    if (grant !== undefined) answer(ctx, 'sns', { errcode: 0, errmsg: 'ok' });
  },
};

export const snsUserInfo: Endpoint = {
  path: '/sns/userinfo',
  method: 'GET',
  flavor: 'sns',
  handle(ctx, state) {
    const grant = grantOfCall(ctx, state);
    if (grant === undefined) return;
    const user = state.users.get(grant.openid);
    // snsapi_base tokens and the virtual visitor of a snapshot page may not read a profile.
    if (grant.scope !== 'snsapi_userinfo' || grant.snapshot || user === undefined) {
      return refuse(ctx, 'sns', 48001, state.clock.unixSeconds());
    }
    answer(ctx, 'sns', {
      openid: user.openid,
      nickname: user.nickname,
      // Since 2021-10-20 WeChat no longer gives sex or region here.
      sex: 0,
      province: '',
      city: '',
      country: '',
      headimgurl: `${selfOrigin(ctx)}/emulator/avatar/${user.openid}/132`,
      privilege: [],
      ...unionidOf(state, grant),
    });
  },
};

/** The grant behind `access_token` and `openid`, or undefined once the errcode answer is written. */
function grantOfCall(ctx: Context, state: EmulatorState): Grant | undefined {
  const query = new URLSearchParams(ctx.querystring);
  const token = param(query, 'access_token');
  const openid = param(query, 'openid');
  const fail = (errcode: number): undefined => {
    refuse(ctx, 'sns', errcode, state.clock.unixSeconds());
    return undefined;
  };
  if (token.state === 'missing') return fail(41001);
  if (token.state === 'repeated') return fail(40001);
  const checked = state.grants.check(token.value);
  if (checked.errcode !== 0) return fail(checked.errcode);
  if (openid.state === 'missing') return fail(41009);
  if (openid.state === 'repeated' || openid.value !== checked.grant.openid) return fail(40003);
  return checked.grant;
}

/** `unionid` comes only with snsapi_userinfo, and only for accounts bound to an Open Platform account. */
function unionidOf(state: EmulatorState, grant: Grant): { unionid?: string } {
  const unionid = grant.scope === 'snsapi_userinfo' && !grant.snapshot ? state.users.get(grant.openid)?.unionid : undefined;
  return unionid === undefined ? {} : { unionid };
}
