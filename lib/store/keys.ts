/**
 * Every key this library writes: namespaced by app id (several apps can share one store) and never holding
 * the secret.
 */
const PREFIX = 'koa-wechat-subscription';

export const tokenKey = (appId: string, source: string): string => `${PREFIX}:${appId}:token:${source}`;

export const tokenLockKey = (appId: string, source: string): string => `${tokenKey(appId, source)}:lock`;

export const subscriptionKey = (appId: string, openid: string): string => `${PREFIX}:${appId}:subscription:${openid}`;

/** The `/sns/userinfo` profile (nickname, avatar) of a visitor who signed in with `snsapi_userinfo`. */
export const profileKey = (appId: string, openid: string): string => `${PREFIX}:${appId}:profile:${openid}`;

/** A code exchange's grant (openid and scope), kept for the code's life; `id` is a hash of the state and code. */
export const grantKey = (appId: string, id: string): string => `${PREFIX}:${appId}:grant:${id}`;

/** A push seen recently, for the dedupe of WeChat's retries; `id` is a hash of the push's identifying fields. */
export const pushKey = (appId: string, id: string): string => `${PREFIX}:${appId}:push:${id}`;

/** Who followed or scanned through a parametric QR code, by its scene; `id` is a hash of the scene. */
export const sceneKey = (appId: string, id: string): string => `${PREFIX}:${appId}:scene:${id}`;
