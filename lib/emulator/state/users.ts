/**
 * The emulator's test users: who exists, who follows, and what `/cgi-bin/user/info` and `/sns/userinfo` say
 * about them. Following and unfollowing here is what the console's buttons do; pushes are sent by the caller.
 */
import type { Clock } from '../clock.js';
import type { IdFactory } from '../ids.js';
import { OPENID_PATTERN } from '../../wechat/shapes.js';
import { nicknameProblem, type SeedUser } from '../options.js';

/** A test user, as the console and the programmatic API show it. */
export interface EmulatorUser {
  readonly openid: string;
  readonly nickname: string;
  readonly subscribed: boolean;
  /** Unix seconds of the latest follow; undefined while not following. */
  readonly subscribeTime: number | undefined;
  readonly subscribeScene: string;
  readonly remark: string;
  readonly tagIds: readonly number[];
  readonly unionid: string | undefined;
  /** Whether the user has allowed `snsapi_userinfo` for this account (the consent sheet then stays silent). */
  readonly consented: boolean;
}

export interface NewUser extends SeedUser {
  /** Set on creation through the phone page: the follow happened now. */
  followedAt?: number;
}

export class UserDirectory {
  readonly #users = new Map<string, EmulatorUser>();
  readonly #clock: Clock;
  readonly #ids: IdFactory;
  readonly #withUnionid: boolean;

  constructor(clock: Clock, ids: IdFactory, withUnionid: boolean) {
    this.#clock = clock;
    this.#ids = ids;
    this.#withUnionid = withUnionid;
  }

  /** In creation order. */
  list(): EmulatorUser[] {
    return [...this.#users.values()];
  }

  get(openid: string): EmulatorUser | undefined {
    return this.#users.get(openid);
  }

  findByNickname(nickname: string): EmulatorUser | undefined {
    const wanted = nickname.trim();
    return this.list().find((user) => user.nickname === wanted);
  }

  /** Followers in the order they followed, as `/cgi-bin/user/get` pages through them. */
  followers(): EmulatorUser[] {
    return this.list()
      .filter((user) => user.subscribed)
      .sort((a, b) => (a.subscribeTime ?? 0) - (b.subscribeTime ?? 0));
  }

  /** @throws {TypeError} for a bad or taken nickname or openid. */
  create(user: NewUser): EmulatorUser {
    const problem = nicknameProblem(user.nickname);
    if (problem !== undefined) throw new TypeError(`nickname ${problem}`);
    const nickname = user.nickname.trim();
    if (this.findByNickname(nickname) !== undefined) throw new TypeError(`a user named ${JSON.stringify(nickname)} exists already`);
    const openid = user.openid ?? this.#ids.openid(nickname);
    if (!OPENID_PATTERN.test(openid)) throw new TypeError('openid must be letters, digits, _ and -');
    if (this.#users.has(openid)) throw new TypeError('a user with that openid exists already');
    const subscribed = user.subscribed === true;
    const created: EmulatorUser = Object.freeze({
      openid,
      nickname,
      subscribed,
      // Seeded followers followed a while ago; one created on the phone follows now.
      subscribeTime: subscribed ? (user.followedAt ?? this.#clock.unixSeconds() - 86_400) : undefined,
      subscribeScene: user.subscribeScene ?? 'ADD_SCENE_QR_CODE',
      remark: user.remark ?? '',
      tagIds: Object.freeze([...(user.tagIds ?? [])]),
      unionid: this.#withUnionid ? this.#ids.unionid(openid) : undefined,
      consented: false,
    });
    this.#users.set(openid, created);
    return created;
  }

  /** Returns the user, or undefined when nothing changed (unknown, or already in that state). */
  setSubscribed(openid: string, subscribed: boolean, scene = 'ADD_SCENE_PROFILE_CARD'): EmulatorUser | undefined {
    const user = this.#users.get(openid);
    if (user === undefined || user.subscribed === subscribed) return undefined;
    const changes = subscribed
      ? { subscribed, subscribeTime: this.#clock.unixSeconds(), subscribeScene: scene }
      : { subscribed, subscribeTime: undefined };
    return this.#replace(user, changes);
  }

  recordConsent(openid: string): void {
    const user = this.#users.get(openid);
    if (user !== undefined && !user.consented) this.#replace(user, { consented: true });
  }

  #replace(user: EmulatorUser, changes: Partial<EmulatorUser>): EmulatorUser {
    const updated = Object.freeze({ ...user, ...changes });
    this.#users.set(user.openid, updated);
    return updated;
  }
}
