/**
 * What the console shows of the emulator's traffic: a call counter per endpoint, the recent requests with
 * every secret masked, and the daily quotas.
 */
import { maskSecretFields } from '../../util/redact.js';
import type { Clock } from '../clock.js';
import type { DailyQuotas } from '../options.js';

export interface RecordedCall {
  /** Emulator time, ms. */
  readonly at: number;
  readonly method: string;
  /** Path and query, with `secret`, `access_token`, `refresh_token` and `code` masked. */
  readonly url: string;
  readonly status: number;
  /** WeChat's errcode, when the answer had a non-zero one. */
  readonly errcode: number | undefined;
  /** The fault that answered instead of the endpoint, if any. */
  readonly fault: string | undefined;
}

const RECENT_LIMIT = 100;

export class Traffic {
  readonly #counters = new Map<string, number>();
  readonly #recent: RecordedCall[] = [];
  readonly #quotaUse = new Map<keyof DailyQuotas, { day: number; used: number }>();
  readonly #clock: Clock;
  readonly #quotas: Readonly<Required<DailyQuotas>>;

  constructor(clock: Clock, quotas: Readonly<Required<DailyQuotas>>) {
    this.#clock = clock;
    this.#quotas = quotas;
  }

  count(path: string): void {
    this.#counters.set(path, (this.#counters.get(path) ?? 0) + 1);
  }

  /** Calls to one endpoint (such as `/cgi-bin/token`) since the start or the last reset. */
  calls(path: string): number {
    return this.#counters.get(path) ?? 0;
  }

  counters(): Record<string, number> {
    return Object.fromEntries([...this.#counters.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  resetCounters(): void {
    this.#counters.clear();
  }

  record(call: Omit<RecordedCall, 'at' | 'url'> & { url: string }): void {
    // Masked on the way in: nothing unmasked is ever kept, so nothing unmasked can be shown.
    this.#recent.push(Object.freeze({ ...call, at: this.#clock.now(), url: maskSecretFields(call.url).slice(0, 300) }));
    if (this.#recent.length > RECENT_LIMIT) this.#recent.shift();
  }

  /** The latest requests, newest last. */
  recent(): readonly RecordedCall[] {
    return [...this.#recent];
  }

  /** Takes one unit of a daily quota; false when the day's quota is spent (the call answers 45009). */
  takeQuota(name: keyof DailyQuotas): boolean {
    const day = this.#clock.day();
    const use = this.#quotaUse.get(name);
    const used = use === undefined || use.day !== day ? 0 : use.used;
    if (used >= this.#quotas[name]) return false;
    this.#quotaUse.set(name, { day, used: used + 1 });
    return true;
  }

  /** How much of each quota today has used. */
  quotaUse(): Record<string, { used: number; limit: number }> {
    const day = this.#clock.day();
    return Object.fromEntries(
      Object.entries(this.#quotas).map(([name, limit]) => {
        const use = this.#quotaUse.get(name as keyof DailyQuotas);
        return [name, { used: use?.day === day ? use.used : 0, limit }];
      }),
    );
  }
}
