/**
 * Code exchanges: at most one per code. WeChat may call back twice with one code, at once or after the first
 * answer has settled (and the second request still carries the cookies of before). Both share one exchange, and
 * the grant is remembered in the shared store for the code's life, so that the second lands signed in too.
 */
import { createHash } from 'node:crypto';
import type { WeChatClient } from '../client/client.js';
import type { OAuthScope, OAuthTokenResponse } from '../client/types.js';
import { WeChatApiError, WeChatArgumentError, WeChatUnavailableError } from '../errors.js';
import type { CacheStore } from '../store/cache-store.js';
import { grantKey } from '../store/keys.js';
import type { Profiles } from '../store/profiles.js';
import { OPENID_PATTERN } from '../wechat/shapes.js';
import type { ExchangeOutcome, Grant } from './decide.js';

/** A code lives 5 minutes: a grant need not be remembered longer. */
const GRANT_LIFETIME_MS = 5 * 60_000;
/** The code was used already (a reload, a late double callback) or has expired: a new sign-in can fix it. */
const CODE_REFUSED = new Set([40163, 40029]);

export class Exchanges {
  readonly #client: WeChatClient;
  readonly #store: CacheStore;
  readonly #profiles: Profiles;
  readonly #inFlight = new Map<string, Promise<ExchangeOutcome>>();

  constructor(client: WeChatClient, store: CacheStore, profiles: Profiles) {
    this.#client = client;
    this.#store = store;
    this.#profiles = profiles;
  }

  /**
   * The grant for `code`, sent with `state`, for a sign-in that asked for `scope`. Keyed by state and code: a
   * stolen code used with another browser's state must not join, or read, the victim's grant.
   * @throws {WeChatError} when WeChat could not be asked, or answered something unusable.
   */
  exchange(state: string, code: string, scope: OAuthScope): Promise<ExchangeOutcome> {
    // The code is a secret: only a hash of it names anything kept.
    const id = createHash('sha256').update(`${state} ${code}`).digest('base64url');
    let outcome = this.#inFlight.get(id);
    if (outcome === undefined) {
      outcome = this.#remembered(id)
        .then((grant) => (grant !== undefined ? { kind: 'granted' as const, grant } : this.#exchange(id, code, scope)))
        .finally(() => this.#inFlight.delete(id));
      this.#inFlight.set(id, outcome);
    }
    return outcome;
  }

  async #exchange(id: string, code: string, scope: OAuthScope): Promise<ExchangeOutcome> {
    let answer: OAuthTokenResponse;
    try {
      answer = await this.#client.exchangeCode(code);
    } catch (error) {
      // A code WeChat refused, or one it could never have issued (the client refuses to send it): ask again.
      if ((error instanceof WeChatApiError && CODE_REFUSED.has(error.errcode)) || error instanceof WeChatArgumentError) return { kind: 'refused' };
      throw error;
    }
    // An identity the next request would not accept would send the visitor round again, for ever.
    if (!OPENID_PATTERN.test(answer.openid)) {
      throw new WeChatUnavailableError({
        reason: 'invalid_response',
        endpoint: 'GET /sns/oauth2/access_token',
        detail: 'answered an openid of a wrong shape',
      });
    }
    const grant: Grant = { openid: answer.openid, scope: grantedScope(answer.scope), snapshotUser: answer.is_snapshotuser === 1 };
    // The profile only for the scope the sign-in asked for and WeChat granted: anything else answers 48001.
    if (scope === 'snsapi_userinfo' && grant.scope === 'snsapi_userinfo' && !grant.snapshotUser) {
      await this.#profiles.save(await this.#client.fetchSnsUserInfo({ accessToken: answer.access_token, openid: answer.openid }));
    }
    await this.#store.set(grantKey(this.#client.appId, id), grant, GRANT_LIFETIME_MS);
    return { kind: 'granted', grant };
  }

  async #remembered(id: string): Promise<Grant | undefined> {
    const value = (await this.#store.get(grantKey(this.#client.appId, id))) as Partial<Grant> | undefined | null;
    if (value === null || typeof value !== 'object') return undefined;
    const { openid, scope, snapshotUser } = value;
    if (typeof openid !== 'string' || !OPENID_PATTERN.test(openid) || (scope !== 'snsapi_base' && scope !== 'snsapi_userinfo')) return undefined;
    return { openid, scope, snapshotUser: snapshotUser === true };
  }
}

/** WeChat's `scope` is a comma-separated list, such as `snsapi_userinfo`. */
function grantedScope(scopes: string): OAuthScope {
  return scopes
    .split(',')
    .map((each) => each.trim())
    .includes('snsapi_userinfo')
    ? 'snsapi_userinfo'
    : 'snsapi_base';
}
