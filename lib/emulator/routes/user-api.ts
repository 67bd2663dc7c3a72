/** `/cgi-bin/user/*`: who follows the account, read with the global token. */
import type { Context } from 'koa';
import { BATCH_LIMIT } from '../../client/client.js';
import { answer, refuse } from '../http/answer.js';
import { parseJsonObject, readBody } from '../http/body.js';
import { globalTokenErrcode, param } from '../http/params.js';
import type { EmulatorState } from '../state/index.js';
import type { EmulatorUser } from '../state/users.js';
import type { Endpoint } from './endpoint.js';

export const userInfo: Endpoint = {
  path: '/cgi-bin/user/info',
  method: 'GET',
  flavor: 'cgi',
  handle(ctx, state) {
    const query = new URLSearchParams(ctx.querystring);
    if (!authorized(ctx, state, query, 'userInfo')) return;
    const openid = param(query, 'openid');
    if (openid.state === 'missing') return refuse(ctx, 'cgi', 41009, state.clock.unixSeconds());
    const user = openid.state === 'present' ? state.users.get(openid.value) : undefined;
    if (user === undefined) return refuse(ctx, 'cgi', 40003, state.clock.unixSeconds());
    answer(ctx, 'cgi', userInfoOf(user));
  },
};

export const userInfoBatch: Endpoint = {
  path: '/cgi-bin/user/info/batchget',
  method: 'POST',
  flavor: 'cgi',
  async handle(ctx, state) {
    if (!authorized(ctx, state, new URLSearchParams(ctx.querystring), 'userInfo')) return;
    const body = parseJsonObject(await readBody(ctx));
    const list = body?.user_list;
    if (!Array.isArray(list)) return refuse(ctx, 'cgi', 47001, state.clock.unixSeconds());
    if (list.length === 0 || list.length > BATCH_LIMIT) return refuse(ctx, 'cgi', 40032, state.clock.unixSeconds());
    const users: EmulatorUser[] = [];
    for (const entry of list as unknown[]) {
      const openid = entry !== null && typeof entry === 'object' ? (entry as { openid?: unknown }).openid : undefined;
      const user = typeof openid === 'string' ? state.users.get(openid) : undefined;
      // One bad entry fails the whole call, as WeChat does.
      if (user === undefined) return refuse(ctx, 'cgi', 40003, state.clock.unixSeconds());
      users.push(user);
    }
    answer(ctx, 'cgi', { user_info_list: users.map(userInfoOf) });
  },
};

export const followers: Endpoint = {
  path: '/cgi-bin/user/get',
  method: 'GET',
  flavor: 'cgi',
  handle(ctx, state) {
    const query = new URLSearchParams(ctx.querystring);
    if (!authorized(ctx, state, query, 'userGet')) return;
    const all = state.users.followers().map((user) => user.openid);
    const next = param(query, 'next_openid');
    let start = 0;
    if (next.state === 'repeated') return refuse(ctx, 'cgi', 40003, state.clock.unixSeconds());
    if (next.state === 'present') {
      const index = all.indexOf(next.value);
      if (index === -1) return refuse(ctx, 'cgi', 40003, state.clock.unixSeconds());
      start = index + 1;
    }
    const page = all.slice(start, start + state.options.followersPageSize);
    // With nothing to list, WeChat leaves `data` out.
    if (page.length === 0) return answer(ctx, 'cgi', { total: all.length, count: 0, next_openid: '' });
    answer(ctx, 'cgi', { total: all.length, count: page.length, data: { openid: page }, next_openid: page.at(-1) });
  },
};

/** Checks the global token and takes a unit of quota; false once the errcode answer is written. */
function authorized(ctx: Context, state: EmulatorState, query: URLSearchParams, quota: 'userInfo' | 'userGet'): boolean {
  const errcode = globalTokenErrcode(param(query, 'access_token'), (token) => state.tokens.check(token));
  if (errcode !== 0) {
    refuse(ctx, 'cgi', errcode, state.clock.unixSeconds());
    return false;
  }
  if (!state.traffic.takeQuota(quota)) {
    refuse(ctx, 'cgi', 45009, state.clock.unixSeconds());
    return false;
  }
  return true;
}

/** The post-2021 shapes: a follower's nickname and avatar are empty placeholders; a non-follower is bare. */
export function userInfoOf(user: EmulatorUser): Record<string, unknown> {
  if (!user.subscribed) return { subscribe: 0, openid: user.openid, tagid_list: [] };
  return {
    subscribe: 1,
    openid: user.openid,
    nickname: '',
    sex: 0,
    language: 'zh_CN',
    city: '',
    province: '',
    country: '',
    headimgurl: '',
    subscribe_time: user.subscribeTime,
    ...(user.unionid === undefined ? {} : { unionid: user.unionid }),
    remark: user.remark,
    groupid: 0,
    tagid_list: [...user.tagIds],
    subscribe_scene: user.subscribeScene,
    qr_scene: 0,
    qr_scene_str: '',
  };
}
