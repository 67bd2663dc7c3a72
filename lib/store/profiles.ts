/**
 * The nickname and avatar of `snsapi_userinfo` visitors, fetched once at sign-in with their OAuth token and
 * kept in the shared store: the session holds the identity only, and the OAuth token is not kept at all.
 */
import type { SnsUserInfo } from '../client/types.js';
import type { CacheStore } from './cache-store.js';
import { profileKey } from './keys.js';

/** The part of `/sns/userinfo` that is kept (in the store, not the session) for `snsapi_userinfo` routes. */
export type VisitorProfile = Pick<SnsUserInfo, 'nickname' | 'headimgurl'> & { unionid?: string };

/** Without `maxAge`, a profile is kept 30 days, as long as WeChat's refresh token lives. */
const DEFAULT_LIFETIME_MS = 30 * 86_400_000;

export class Profiles {
  readonly #store: CacheStore;
  readonly #appId: string;

  constructor(store: CacheStore, appId: string) {
    this.#store = store;
    this.#appId = appId;
  }

  async save(profile: SnsUserInfo, lifetimeMs = DEFAULT_LIFETIME_MS): Promise<void> {
    const kept: VisitorProfile = { nickname: profile.nickname, headimgurl: profile.headimgurl };
    if (typeof profile.unionid === 'string') kept.unionid = profile.unionid;
    await this.#store.set(profileKey(this.#appId, profile.openid), kept, lifetimeMs);
  }

  /** On an unfollow: WeChat asks developers to delete what they keep about the user. */
  async delete(openid: string): Promise<void> {
    await this.#store.delete(profileKey(this.#appId, openid));
  }

  /** Undefined when it expired or the store lost it: the page then goes without a nickname. */
  async load(openid: string): Promise<VisitorProfile | undefined> {
    const value = await this.#store.get(profileKey(this.#appId, openid));
    if (value === null || typeof value !== 'object') return undefined;
    const { nickname, headimgurl, unionid } = value as Partial<VisitorProfile>;
    if (typeof nickname !== 'string' || typeof headimgurl !== 'string') return undefined;
    return typeof unionid === 'string' ? { nickname, headimgurl, unionid } : { nickname, headimgurl };
  }
}
