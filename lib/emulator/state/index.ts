/** Everything the emulator knows, in one place that every route reads. Built once per emulator. */
import { Clock } from '../clock.js';
import { IdFactory } from '../ids.js';
import type { ResolvedEmulatorOptions, SeedUser } from '../options.js';
import { PushSender } from '../push-sender.js';
import { FaultPlan } from './faults.js';
import { GlobalTokens } from './global-tokens.js';
import { OAuthGrants } from './oauth-grants.js';
import { Traffic } from './traffic.js';
import { UserDirectory, type EmulatorUser } from './users.js';

/** Settings the console can change while the emulator runs. */
export interface Switches {
  doubleRedirect: boolean;
  onRefuse: 'stay' | 'redirect';
}

export interface EmulatorState {
  readonly options: ResolvedEmulatorOptions;
  readonly clock: Clock;
  readonly ids: IdFactory;
  readonly users: UserDirectory;
  readonly tokens: GlobalTokens;
  readonly grants: OAuthGrants;
  readonly traffic: Traffic;
  readonly faults: FaultPlan;
  readonly pushes: PushSender;
  readonly switches: Switches;
  /** The origin of the site WeChat last sent a visitor back to: the console links to it. */
  readonly site: { url: string | undefined };
}

/**
 * Creates a user while the emulator runs (the phone, the console, the API): one created following has just
 * followed, so the push URL hears of it. Seeded users, created at start, followed long ago and push nothing.
 * @throws {TypeError} for a bad or taken nickname or openid.
 */
export function createUserNow(state: EmulatorState, user: SeedUser): EmulatorUser {
  const created = state.users.create({ ...user, followedAt: state.clock.unixSeconds() });
  if (created.subscribed) void state.pushes.send('subscribe', created.openid);
  return created;
}

export function createState(options: ResolvedEmulatorOptions): EmulatorState {
  const clock = new Clock();
  const ids = new IdFactory(options.appId, options.seed);
  const users = new UserDirectory(clock, ids, options.unionid);
  for (const user of options.users) users.create(user);
  return {
    options,
    clock,
    ids,
    users,
    tokens: new GlobalTokens(clock, ids, options.tokenLifetime, options.tokenOverlap),
    grants: new OAuthGrants(clock, ids, options.codeLifetime),
    traffic: new Traffic(clock, options.dailyQuota),
    faults: new FaultPlan(),
    pushes: new PushSender(options, clock, ids),
    switches: { doubleRedirect: options.doubleRedirect, onRefuse: options.onRefuse },
    site: { url: undefined },
  };
}
