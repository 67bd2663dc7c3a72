/** A fresh emulator and `createWeChat` services aimed at it, per test; all closed after the test. */
import { createWeChat, type WeChat, type WeChatOptions } from '../../lib/index.js';
import { createWeChatOfItsOwn } from '../../lib/create-wechat.js';
import { startEmulator, type Emulator, type EmulatorOptions, type EmulatorUser } from '../../lib/emulator/index.js';
import { EMULATOR_SEED } from './emulator.js';
import { FAST_FAILING } from './fixtures.js';

export interface ServicesHarness {
  /** Starts an emulator and services on it (fast retries; `apiBaseUrl` may be overridden, for a proxy). */
  start(options?: { emulator?: EmulatorOptions; wechat?: Partial<WeChatOptions> }): Promise<{ emulator: Emulator; wechat: WeChat }>;
  /** More services on the same emulator, as another process would have; closed with the rest. */
  another(options?: Partial<WeChatOptions>): WeChat;
}

/** Call inside a `describe`: registers the `afterEach` that closes what was opened. */
export function useWeChat(): ServicesHarness {
  let emulator: Emulator | undefined;
  let services: WeChat[] = [];
  afterEach(async () => {
    await Promise.all(services.map((each) => each.close()));
    await emulator?.close();
    emulator = undefined;
    services = [];
  });
  // The first services are the site's; each `another()` has its own, as another process would.
  const create = (options: Partial<WeChatOptions> = {}): WeChat => {
    if (emulator === undefined) throw new Error('call start() first');
    const wechat = (services.length === 0 ? createWeChat : createWeChatOfItsOwn)(optionsFor(emulator, options));
    services.push(wechat);
    return wechat;
  };
  return {
    async start(options = {}) {
      emulator = await startEmulator({ seed: EMULATOR_SEED, ...options.emulator });
      return { emulator, wechat: create(options.wechat) };
    },
    another: create,
  };
}

/** `count` new users of the emulator; every third one does not follow (index 0, 3, 6, …). */
export function createUsers(emulator: Emulator, count: number, prefix = 'visitor'): EmulatorUser[] {
  return Array.from({ length: count }, (_, index) => emulator.createUser({ nickname: `${prefix}-${index}`, subscribed: index % 3 !== 0 }));
}

/** Token fetches of either kind, and user-info calls of either kind, as the emulator counted them. */
export function wechatCalls(emulator: Emulator): { tokenFetches: number; userInfoCalls: number } {
  return {
    tokenFetches: emulator.calls('/cgi-bin/token') + emulator.calls('/cgi-bin/stable_token'),
    userInfoCalls: emulator.calls('/cgi-bin/user/info') + emulator.calls('/cgi-bin/user/info/batchget'),
  };
}

/** `createWeChat` options aimed at `emulator`, failing fast, with `overrides` on top. */
export function optionsFor(emulator: Emulator, overrides: Partial<WeChatOptions> = {}): WeChatOptions {
  return {
    appId: emulator.appId,
    appSecret: emulator.appSecret,
    apiBaseUrl: emulator.url,
    oauthBaseUrl: emulator.url,
    ...FAST_FAILING,
    ...overrides,
  };
}
