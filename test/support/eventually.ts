import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `check` on real timers (fake timers fake only Date here) until it holds, or fails after `ms`. */
export async function eventually(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(5);
  }
}
