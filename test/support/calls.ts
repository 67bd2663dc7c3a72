/** Every client call, described once, so that fault and secret tests can run against each of them. */
import type { WeChatClient } from '../../lib/index.js';
import { json, type Handler } from './fake-wechat.js';
import { ACCESS_TOKEN, CODE, OAUTH_TOKEN, OPENID, REFRESH_TOKEN, followerInfo } from './fixtures.js';

export interface CallCase {
  name: string;
  /** `METHOD /path`, the fake server's route key. */
  route: string;
  path: string;
  /** Whether a failed call may be sent again. */
  idempotent: boolean;
  /** WeChat's success answer. */
  answer: Record<string, unknown>;
  run: (client: WeChatClient) => Promise<unknown>;
}

export const CALLS: readonly CallCase[] = [
  {
    name: 'fetchClassicToken',
    route: 'GET /cgi-bin/token',
    path: '/cgi-bin/token',
    idempotent: true,
    answer: { access_token: ACCESS_TOKEN, expires_in: 7200 },
    run: (client) => client.fetchClassicToken(),
  },
  {
    name: 'fetchStableToken',
    route: 'POST /cgi-bin/stable_token',
    path: '/cgi-bin/stable_token',
    idempotent: true,
    answer: { access_token: ACCESS_TOKEN, expires_in: 7200 },
    run: (client) => client.fetchStableToken(),
  },
  {
    name: 'exchangeCode',
    route: 'GET /sns/oauth2/access_token',
    path: '/sns/oauth2/access_token',
    idempotent: false,
    answer: { access_token: OAUTH_TOKEN, expires_in: 7200, refresh_token: REFRESH_TOKEN, openid: OPENID, scope: 'snsapi_base' },
    run: (client) => client.exchangeCode(CODE),
  },
  {
    name: 'fetchSnsUserInfo',
    route: 'GET /sns/userinfo',
    path: '/sns/userinfo',
    idempotent: true,
    answer: { openid: OPENID, nickname: 'Band', sex: 0, province: '', city: '', country: '', headimgurl: '', privilege: [] },
    run: (client) => client.fetchSnsUserInfo({ accessToken: OAUTH_TOKEN, openid: OPENID }),
  },
  {
    name: 'fetchUserInfo',
    route: 'GET /cgi-bin/user/info',
    path: '/cgi-bin/user/info',
    idempotent: true,
    answer: followerInfo(OPENID),
    run: (client) => client.fetchUserInfo({ accessToken: ACCESS_TOKEN, openid: OPENID }),
  },
  {
    name: 'fetchUserInfoBatch',
    route: 'POST /cgi-bin/user/info/batchget',
    path: '/cgi-bin/user/info/batchget',
    idempotent: true,
    answer: { user_info_list: [followerInfo(OPENID)] },
    run: (client) => client.fetchUserInfoBatch({ accessToken: ACCESS_TOKEN, openids: [OPENID] }),
  },
];

/** The call's success answer, served as text/plain to prove that the header is ignored; extra fields merged in. */
export function success(call: CallCase, extra: Record<string, unknown> = {}): Handler {
  return json({ ...call.answer, ...extra }, 'text/plain');
}
