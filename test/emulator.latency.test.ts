/** The emulator's `latency`: every API call waits before it is answered, as a real WeChat server's ~100 ms. */
import { expect } from 'chai';
import { createEmulator, startEmulator } from '../lib/emulator/index.js';

describe('emulator: latency', () => {
  it('with latency 0.1, a token call is answered no sooner than 100 ms, and answered right', async () => {
    const emulator = await startEmulator({ latency: 0.1 });
    try {
      const started = performance.now();
      const response = await fetch(`${emulator.url}/cgi-bin/token?grant_type=client_credential&appid=${emulator.appId}&secret=${emulator.appSecret}`);
      // A lower bound, the feature itself: no upper bound is asserted on a shared machine.
      expect(performance.now() - started).to.be.at.least(95);
      expect(((await response.json()) as { expires_in: number }).expires_in).to.equal(7200);
    } finally {
      await emulator.close();
    }
  });

  it('defaults to 0, and a wrong value is refused with its name', () => {
    expect(createEmulator().options.latency).to.equal(0);
    for (const latency of [-1, 11, Number.NaN, '0.1']) {
      expect(() => createEmulator({ latency: latency as number })).to.throw(TypeError, 'latency');
    }
  });
});
