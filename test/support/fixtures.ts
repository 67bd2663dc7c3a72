/** Realistic values shared by the client's tests, and a client tuned to fail fast. */
import { WeChatClient, type WeChatApiError, type WeChatClientOptions } from '../../lib/index.js';

export const APP_ID = 'wxb11529c136998cb6';
export const APP_SECRET = '3f9c2b7e81d04a6c95e2f0b1a7d8c4e6';
/** Shaped like a real global token: `86_` and a long opaque tail. */
export const ACCESS_TOKEN = '86_Xq3tP0vLm9RkAa7ZyBnC4dWfE2gHj5K8sU1oIlQwNrT6vYxZbM0cD3eF7gH9jK2lLmNoPq_RsTuVwXyZ-aBcDeFgHiJkLmN';
export const OAUTH_TOKEN = '86_oauthOnlyTokenForOneVisitor7fQ2mZk9LwPq1RsTuVbNcXyA3dE5gH8jK0lMnOpQrStUvWxYz';
export const REFRESH_TOKEN = '86_refreshTokenThirtyDays4hJ6kL8mN0pQ2rS4tU6vW8xY0zA2bC4dE6fG8hI0jK2lM4nO6pQ8';
export const CODE = '061Abc0w3B9dQe3vZH1w3Nq0zE2Abc0O';
export const OPENID = 'oLVPpjqs9BhvzwPj5A-vTYAX3GLc';

/** Every value that must never leave the client. */
export const SECRETS = [APP_SECRET, ACCESS_TOKEN, OAUTH_TOKEN, REFRESH_TOKEN, CODE] as const;

/** The timeout of tests that make the server hang: short, since nothing will answer anyway. */
export const HANG_TIMEOUT = 0.25;

/** Near-zero backoff, so that fault tests run in milliseconds; a timeout roomy enough for a loaded machine. */
export const FAST_FAILING = { timeout: 2, retry: { retries: 2, minDelay: 0.001, maxDelay: 0.005 } } as const satisfies Partial<WeChatClientOptions>;

/** A client of the fixtures' app, failing fast. */
export function makeClient(apiBaseUrl: string, overrides: Partial<WeChatClientOptions> = {}): WeChatClient {
  return new WeChatClient({ appId: APP_ID, appSecret: APP_SECRET, apiBaseUrl, ...FAST_FAILING, ...overrides });
}

/** A 28-character openid of the real shape, numbered. */
export function openidNumber(n: number): string {
  return `oLVPp${String(n).padStart(23, '0')}`;
}

/** The follower shape of /cgi-bin/user/info after 2021-12-27: nickname and avatar are empty placeholders. */
export function followerInfo(openid: string): Record<string, unknown> {
  return {
    subscribe: 1,
    openid,
    language: 'zh_CN',
    subscribe_time: 1714037059,
    remark: '',
    groupid: 0,
    tagid_list: [128, 2],
    subscribe_scene: 'ADD_SCENE_QR_CODE',
    qr_scene: 98765,
    qr_scene_str: '',
    nickname: '',
    sex: 0,
    headimgurl: '',
    city: '',
    province: '',
    country: '',
  };
}

/** The non-follower shape: "nothing else can be fetched". */
export function nonFollowerInfo(openid: string): Record<string, unknown> {
  return { subscribe: 0, openid, tagid_list: [] };
}

/** Awaits a promise that must reject, and returns its reason. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => new Error('expected a rejection, but the promise resolved'),
    (error: unknown) => ({ rejected: error }),
  );
  if (outcome instanceof Error) throw outcome;
  if (outcome.rejected instanceof Error) return outcome.rejected;
  throw new Error(`rejected with a non-Error: ${String(outcome.rejected)}`);
}

/** Awaits a call that must fail with a WeChatApiError, and returns its errcode. */
export async function errcodeOf(promise: Promise<unknown>): Promise<number> {
  return ((await rejectionOf(promise)) as WeChatApiError).errcode;
}
