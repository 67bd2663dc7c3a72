/** Everything the emulator knows, in one place that every route reads. Built once per emulator. */
import { Clock } from '../clock.js';
import { IdFactory } from '../ids.js';
import type { ResolvedEmulatorOptions } from '../options.js';
import { PushSender } from '../push-sender.js';
import { FaultPlan } from './faults.js';
import { GlobalTokens } from './global-tokens.js';
import { OAuthGrants } from './oauth-grants.js';
import { Traffic } from './traffic.js';
import { UserDirectory } from './users.js';

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
  };
}
