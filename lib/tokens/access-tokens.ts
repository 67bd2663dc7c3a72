/**
 * The one token interface of the original recipe: every part of the deployment gets the global access token
 * here, so that nothing fetches its own and knocks the others' out.
 */
import { WeChatApiError } from '../errors.js';

/** The answers that mean "this token is no good": invalid or not the latest, invalid, expired. */
const TOKEN_REFUSED = new Set([40001, 40014, 42001]);

export function isTokenRefused(error: unknown): error is WeChatApiError {
  return error instanceof WeChatApiError && TOKEN_REFUSED.has(error.errcode);
}

export abstract class AccessTokens {
  /** A valid global access token; from the cache unless there is none. */
  abstract get(): Promise<string>;

  /**
   * A token to use instead of `failed`, which WeChat refused. When another caller has renewed it already,
   * that token is the answer; otherwise one new token is fetched however many callers ask at once.
   */
  abstract renew(failed: string): Promise<string>;

  /**
   * After the token `renew` gave was refused too: a token to try a last time, or undefined for none. The
   * default is none; a source that can tell an adopted token from one it fetched itself may fetch once.
   */
  protected renewOnceMore(_failed: string): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }

  /**
   * Runs `call` with the token. When WeChat refuses the token (40001, 40014, 42001), renews it and runs
   * `call` once more. A second refusal is thrown, so that a broken token can never cause a loop, unless the
   * renewed token was another process's, adopted from the store: that one may be as dead as ours (a forced
   * expiry), so one token of our own is fetched and tried, and its refusal is thrown.
   */
  async withToken<T>(call: (accessToken: string) => Promise<T>): Promise<T> {
    const accessToken = await this.get();
    try {
      return await call(accessToken);
    } catch (error) {
      if (!isTokenRefused(error)) throw error;
      const renewed = await this.renew(accessToken);
      // The source gave back the token WeChat just refused: trying it again could only fail again.
      if (renewed === accessToken) throw error;
      try {
        return await call(renewed);
      } catch (again) {
        if (!isTokenRefused(again)) throw again;
        const fetched = await this.renewOnceMore(renewed);
        if (fetched === undefined || fetched === renewed || fetched === accessToken) throw again;
        return call(fetched);
      }
    }
  }
}
