/**
 * Every key this library writes: namespaced by app id (several apps can share one store) and never holding
 * the secret.
 */
const PREFIX = 'koa-wechat-subscription';

export const tokenKey = (appId: string, source: string): string => `${PREFIX}:${appId}:token:${source}`;

export const tokenLockKey = (appId: string, source: string): string => `${tokenKey(appId, source)}:lock`;

export const subscriptionKey = (appId: string, openid: string): string => `${PREFIX}:${appId}:subscription:${openid}`;
