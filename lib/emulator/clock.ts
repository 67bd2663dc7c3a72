/**
 * The emulator's time: the real clock plus an offset that tests move forward, so that an emulator running in
 * another process (the demo's, `npm run emulator`) can be aged too. sinon's fake Date drives it as well.
 */
export class Clock {
  #offsetMs = 0;

  /** Milliseconds since the epoch, as the emulator sees it. */
  now(): number {
    return Date.now() + this.#offsetMs;
  }

  /** Whole seconds since the epoch: WeChat's `CreateTime`, `subscribe_time` and push timestamps. */
  unixSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  /** WeChat's day (the quota day) starts at midnight in Beijing (UTC+8). */
  day(): number {
    return Math.floor((this.now() + 8 * 3_600_000) / 86_400_000);
  }

  /** Moves the emulator's time forward. */
  advance(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError('advance() takes a number of seconds, 0 or more');
    // WeChat's timestamps (the rid's first group, CreateTime) are unix seconds in 32 bits: they end in 2106.
    if (this.now() / 1000 + seconds > 0xffff_ffff) throw new RangeError('advance() cannot move the clock past 2106');
    this.#offsetMs += seconds * 1000;
  }
}
