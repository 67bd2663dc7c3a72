/**
 * The options of `createWeChat`: every one defaults as documented, and every wrong value fails at construction
 * with a WeChatOptionsError that names the option, says what is expected, and never carries the app secret.
 */
import { expect } from 'chai';
import { Keyv } from 'keyv';
import { WeChatClient, WeChatOptionsError, type WeChat, type WeChatOptions } from '../lib/index.js';
import { DEFAULT_API_BASE_URL, DEFAULT_OAUTH_BASE_URL } from '../lib/client/options.js';
import { DEFAULT_CACHE_MAX_ENTRIES } from '../lib/store/memory-store.js';
import { MemoryLock } from '../lib/tokens/lock.js';
import { createWeChatOfItsOwn } from '../lib/create-wechat.js';
import { startEmulator } from '../lib/emulator/index.js';
import { EMULATOR_SEED } from './support/emulator.js';
import { APP_ID, APP_SECRET } from './support/fixtures.js';
import { leaksIn, serializations } from './support/leak-scan.js';

const BASE = { appId: APP_ID, appSecret: APP_SECRET };

/** Services to close after each test: a client holds connections. Each of its own, since their options differ. */
let opened: WeChat[] = [];
function open(options: Partial<WeChatOptions> = {}): WeChat {
  const wechat = createWeChatOfItsOwn({ ...BASE, ...options });
  opened.push(wechat);
  return wechat;
}

function optionsErrorOf(options: Record<string, unknown>): WeChatOptionsError {
  try {
    open(options);
  } catch (error) {
    expect(error).to.be.instanceOf(WeChatOptionsError);
    return error as WeChatOptionsError;
  }
  throw new Error('expected createWeChat to throw');
}

/** A well-formed adapter that Keyv would accept, but not wrapped in Keyv. */
const bareAdapter = { get: () => Promise.resolve(undefined), set: () => Promise.resolve(true), delete: () => Promise.resolve(true) };

interface Wrong {
  label: string;
  options: Record<string, unknown>;
  option: string;
  expected: RegExp;
}

const seconds = (name: string, max: number): Wrong[] =>
  [
    [-1, '-1'],
    [Number.NaN, 'NaN'],
    [max + 1, String(max + 1)],
    ['300', '"300"'],
  ].map(([value, shown]) => ({
    label: `${name} ${String(shown)}`,
    options: { [name]: value },
    option: name,
    expected: new RegExp(`expected a number of seconds from 0 to ${max}, got ${String(shown)}$`),
  }));

const WRONG: Wrong[] = [
  // A misspelt option would otherwise be ignored and its default used in silence.
  { label: 'statusTTL (a typo)', options: { statusTTL: 60 }, option: 'statusTTL', expected: /is not an option: did you mean "statusTtl"\?$/ },
  {
    label: 'tokenSorce (a typo)',
    options: { tokenSorce: 'classic' },
    option: 'tokenSorce',
    expected: /is not an option: did you mean "tokenSource"\?$/,
  },
  { label: 'appid (wrong case)', options: { appid: APP_ID }, option: 'appid', expected: /is not an option: did you mean "appId"\?$/ },
  { label: 'zzzzzz (nothing close)', options: { zzzzzz: 1 }, option: 'zzzzzz', expected: /^Invalid option "zzzzzz": is not an option$/ },
  { label: 'tokenSource "fast"', options: { tokenSource: 'fast' }, option: 'tokenSource', expected: /expected 'stable' or 'classic', got "fast"$/ },
  {
    label: 'tokenSource with tokenProvider',
    options: { tokenSource: 'stable', tokenProvider: () => Promise.resolve('token') },
    option: 'tokenSource',
    expected: /cannot be combined with tokenProvider/,
  },
  {
    label: 'tokenProvider not a function',
    options: { tokenProvider: 'a-token' },
    option: 'tokenProvider',
    expected: /expected a function that resolves with the access token/,
  },
  { label: 'store a Map', options: { store: new Map() }, option: 'store', expected: /expected a Keyv instance/ },
  {
    label: 'store a bare adapter',
    options: { store: bareAdapter },
    option: 'store',
    expected: /a bare store adapter must be wrapped in new Keyv\(…\)/,
  },
  { label: 'store null', options: { store: null }, option: 'store', expected: /expected a Keyv instance, such as new Keyv\(new KeyvRedis/ },
  {
    label: 'lock without acquire',
    options: { lock: { release: () => undefined } },
    option: 'lock',
    expected: /expected an object with acquire\(key, ttl\)/,
  },
  { label: 'lock null', options: { lock: null }, option: 'lock', expected: /expected an object with acquire\(key, ttl\)/ },
  {
    label: 'logger without warn',
    options: { logger: { log: () => undefined } },
    option: 'logger',
    expected: /expected an object with a warn\(message\) method/,
  },
  { label: 'logger null', options: { logger: null }, option: 'logger', expected: /expected an object with a warn\(message\) method/ },
  ...seconds('statusTtl', 86_400),
  ...seconds('unsubscribedTtl', 86_400),
  ...seconds('batchWindow', 1),
  ...[0, 1.5, 10_000_001].map((value) => ({
    label: `cacheMaxEntries ${value}`,
    options: { cacheMaxEntries: value },
    option: 'cacheMaxEntries',
    expected: new RegExp(`expected a whole number from 1 to 10000000, got ${value}$`),
  })),
];

describe('createWeChat options', () => {
  afterEach(async () => {
    await Promise.all(opened.map((wechat) => wechat.close()));
    opened = [];
  });

  it('defaults every service option and every client option, frozen', () => {
    const wechat = open();
    expect(wechat.options).to.deep.equal({
      tokenSource: 'stable',
      statusTtl: 300,
      unsubscribedTtl: 15,
      batchWindow: 0.002,
      storeTimeout: 0.25,
      cacheMaxEntries: DEFAULT_CACHE_MAX_ENTRIES,
    });
    expect(DEFAULT_CACHE_MAX_ENTRIES).to.equal(10_000);
    expect(wechat.client.options).to.deep.equal({
      appId: APP_ID,
      apiBaseUrl: DEFAULT_API_BASE_URL,
      oauthBaseUrl: DEFAULT_OAUTH_BASE_URL,
      timeout: 5,
      retry: { retries: 2, minDelay: 0.2, maxDelay: 2 },
    });
    expect(Object.isFrozen(wechat.options)).to.equal(true);
    expect(Object.isFrozen(wechat)).to.equal(true);
  });

  it('keeps the values given, the bounds included, and names a tokenProvider as the source', () => {
    const given = open({
      tokenSource: 'classic',
      store: new Keyv(),
      lock: new MemoryLock(),
      logger: { warn: () => undefined },
      statusTtl: 86_400,
      unsubscribedTtl: 0,
      batchWindow: 1,
      cacheMaxEntries: 10_000_000,
      storeTimeout: 60,
      timeout: 3,
      retry: { retries: 0 },
    });
    expect(given.options).to.deep.equal({
      tokenSource: 'classic',
      statusTtl: 86_400,
      unsubscribedTtl: 0,
      batchWindow: 1,
      cacheMaxEntries: 10_000_000,
      storeTimeout: 60,
    });
    expect([given.client.options.timeout, given.client.options.retry.retries]).to.deep.equal([3, 0]);
    expect(open({ statusTtl: 0, batchWindow: 0, cacheMaxEntries: 1 }).options).to.include({ statusTtl: 0, batchWindow: 0, cacheMaxEntries: 1 });
    expect(open({ tokenProvider: () => Promise.resolve('token') }).options.tokenSource).to.equal('provider');
  });

  for (const wrong of WRONG) {
    it(`throws at construction, naming the option and what it expects: ${wrong.label}`, () => {
      const error = optionsErrorOf(wrong.options);
      expect(error.option).to.equal(wrong.option);
      expect(error.code).to.equal('ERR_WECHAT_OPTIONS');
      expect(error.message).to.contain(`Invalid option "${wrong.option}"`);
      expect(error.message).to.match(wrong.expected);
      for (const text of serializations(error)) expect(leaksIn(text, [APP_SECRET]), text).to.deep.equal([]);
    });
  }

  it('never echoes the secret pasted into another option (regression: string values used to be quoted)', () => {
    for (const options of [{ tokenSource: APP_SECRET }, { statusTtl: APP_SECRET }, { apiBaseUrl: APP_SECRET }, { timeout: APP_SECRET }]) {
      const error = optionsErrorOf(options);
      expect(error.message).to.include(`a string of ${APP_SECRET.length} characters`);
      for (const text of serializations(error)) expect(leaksIn(text, [APP_SECRET]), text).to.deep.equal([]);
    }
  });

  describe('tokenProvider', () => {
    it('serves the provider’s token with a wrong secret: provider mode never fetches a token', async () => {
      const emulator = await startEmulator({ seed: EMULATOR_SEED });
      const honest = new WeChatClient({ appId: emulator.appId, appSecret: emulator.appSecret, apiBaseUrl: emulator.url });
      try {
        const accessToken = (await honest.fetchStableToken()).access_token;
        emulator.resetCounters();
        let asked = 0;
        const wechat = open({
          appId: emulator.appId,
          appSecret: 'not-the-secret-of-this-app-at-all',
          apiBaseUrl: emulator.url,
          tokenProvider: () => {
            asked += 1;
            return Promise.resolve(accessToken);
          },
        });
        expect(await wechat.tokens.get()).to.equal(accessToken);
        const band = emulator.findUser('Band')!.openid;
        const visitor = emulator.findUser('Visitor')!.openid;
        const [follower, stranger] = await Promise.all([wechat.subscriptions.status(band), wechat.subscriptions.status(visitor)]);
        expect([follower.subscribed, stranger.subscribed]).to.deep.equal([true, false]);
        expect(asked).to.be.at.least(2);
        expect(emulator.calls('/cgi-bin/user/info/batchget')).to.equal(1);
        expect([emulator.calls('/cgi-bin/token'), emulator.calls('/cgi-bin/stable_token')]).to.deep.equal([0, 0]);
      } finally {
        honest.close();
        await Promise.all(opened.map((wechat) => wechat.close()));
        opened = [];
        await emulator.close();
      }
    });
  });
});
