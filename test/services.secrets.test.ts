/**
 * The services never let out the app secret or an access token: every failure we can force (a wrong secret,
 * quota, hangs, HTML pages, a throwing tokenProvider, a failed background refresh) is scanned in every form
 * an error or a log line can take, and so is the NODE_DEBUG output of a real token fetch and lookup.
 */
import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import sinon from 'sinon';
import { WeChatApiError, WeChatClient, WeChatError, WeChatStatusUnknownError, WeChatTokenProviderError, type WeChat } from '../lib/index.js';
import type { Emulator, FaultKind } from '../lib/emulator/index.js';
import { HANG_TIMEOUT, rejectionOf } from './support/fixtures.js';
import { leaksIn, serializations } from './support/leak-scan.js';
import { eventually } from './support/eventually.js';
import { useWeChat } from './support/services.js';

const WRONG_SECRET = '9d4e1c7a2b8f03e6d5c4b3a2f1e0d9c8';
const FAULTS: readonly FaultKind[] = ['quota', 'hang', 'html500', 'busy', 'reset'];

/** The emulator's current stable token, as any caller with the right secret gets it. */
async function stableTokenOf(emulator: Emulator): Promise<string> {
  const client = new WeChatClient({ appId: emulator.appId, appSecret: emulator.appSecret, apiBaseUrl: emulator.url });
  try {
    return (await client.fetchStableToken()).access_token;
  } finally {
    client.close();
  }
}

function expectNoLeak(error: unknown, secrets: readonly string[]): void {
  expect(error).to.be.instanceOf(WeChatError);
  for (const text of serializations(error)) expect(leaksIn(text, secrets), text).to.deep.equal([]);
}

const bandOf = (emulator: Emulator): string => emulator.findUser('Band')!.openid;

/** Polls (real timers) until `check` holds, for work the library does in the background. */
describe('the services keep the secret and the tokens out of everything they emit', () => {
  const h = useWeChat();
  let clock: sinon.SinonFakeTimers | undefined;
  afterEach(() => {
    clock?.restore();
    clock = undefined;
  });

  it('a wrong secret (40125): neither secret is in the token error nor in the status error', async () => {
    const { emulator, wechat } = await h.start({ wechat: { appSecret: WRONG_SECRET } });
    const tokenError = await rejectionOf(wechat.tokens.get());
    expect((tokenError as WeChatApiError).errcode).to.equal(40125);
    const statusError = await rejectionOf(wechat.subscriptions.status(bandOf(emulator)));
    expect(statusError).to.be.instanceOf(WeChatStatusUnknownError);
    expect(((statusError as WeChatStatusUnknownError).cause as WeChatApiError).errcode).to.equal(40125);
    for (const error of [tokenError, statusError]) expectNoLeak(error, [WRONG_SECRET, emulator.appSecret]);
  });

  for (const kind of FAULTS) {
    it(`a "${kind}" fault on the token endpoint: the token and status errors carry no secret`, async () => {
      const { emulator, wechat } = await h.start({ wechat: { timeout: HANG_TIMEOUT } });
      emulator.injectFault('/cgi-bin/stable_token', kind, 10);
      const errors = [await rejectionOf(wechat.tokens.get()), await rejectionOf(wechat.subscriptions.status(bandOf(emulator)))];
      expect(errors[1]).to.be.instanceOf(WeChatStatusUnknownError);
      for (const error of errors) expectNoLeak(error, [emulator.appSecret]);
    });

    it(`a "${kind}" fault on batchget: the WeChatStatusUnknownError (message, stack, inspect, JSON, cause) carries no token`, async () => {
      const { emulator, wechat } = await h.start({ wechat: { timeout: HANG_TIMEOUT } });
      const accessToken = await wechat.tokens.get();
      emulator.injectFault('/cgi-bin/user/info/batchget', kind, 10);
      const error = await rejectionOf(wechat.subscriptions.status(bandOf(emulator)));
      expect(error).to.be.instanceOf(WeChatStatusUnknownError);
      expect(JSON.stringify(error)).to.contain('"cause":{');
      expectNoLeak(error, [emulator.appSecret, accessToken]);
      // The token was the one WeChat issued, so the scan looked for the value that travelled in the URL.
      expect(await stableTokenOf(emulator)).to.equal(accessToken);
    });
  }

  describe('a tokenProvider', () => {
    it('that throws an Error quoting the token: the WeChatTokenProviderError does not repeat it', async () => {
      const { emulator } = await h.start();
      const accessToken = await stableTokenOf(emulator);
      const provided = h.another({
        tokenProvider: () => Promise.reject(new Error(`the central service answered access_token=${accessToken} expired`)),
      });
      const tokenError = await rejectionOf(provided.tokens.get());
      expect(tokenError).to.be.instanceOf(WeChatTokenProviderError);
      expect(tokenError.message).to.equal('The tokenProvider option failed (Error)');
      const statusError = await rejectionOf(provided.subscriptions.status(bandOf(emulator)));
      expect((statusError as WeChatStatusUnknownError).cause).to.be.instanceOf(WeChatTokenProviderError);
      for (const error of [tokenError, statusError]) expectNoLeak(error, [emulator.appSecret, accessToken]);
    });

    it('that resolves with a token and a line break: the error says why without quoting it', async () => {
      const { emulator } = await h.start();
      const accessToken = await stableTokenOf(emulator);
      const provided = h.another({ tokenProvider: () => Promise.resolve(`${accessToken}\n`) });
      const error = await rejectionOf(provided.tokens.get());
      expect(error.message).to.contain('not an access token');
      expectNoLeak(error, [emulator.appSecret, accessToken]);
    });
  });

  it('a failed background refresh: the logger line says what failed, without the secret or the token', async () => {
    clock = sinon.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const lines: string[] = [];
    const { emulator } = await h.start();
    const wechat: WeChat = h.another({ logger: { warn: (message) => lines.push(message) } });
    const accessToken = await wechat.tokens.get();
    // The refresh window opens 300 s before expiry (lib/tokens/schedule.ts); the token still serves there.
    clock.tick((7200 - 290) * 1000);
    emulator.injectFault('/cgi-bin/stable_token', 'html500', 10);
    expect(await wechat.tokens.get()).to.equal(accessToken);
    await eventually(() => lines.length > 0, 'the failed background refresh is logged');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.contain('refreshing the stable access token failed; the cached token serves until it expires');
    expect(emulator.calls('/cgi-bin/stable_token')).to.equal(1 + 3);
    expect(leaksIn(lines[0]!, [emulator.appSecret, accessToken])).to.deep.equal([]);
  });

  it('NODE_DEBUG=koa-wechat-subscription output of a token fetch and of lookups, good and failed, has no secret', async () => {
    const { emulator } = await h.start();
    const lib = pathToFileURL(new URL('../lib/index.ts', import.meta.url).pathname).href;
    const script = `
      const { createWeChat } = await import(${JSON.stringify(lib)});
      const env = process.env;
      const wechat = createWeChat({ appId: env.APP_ID, appSecret: env.APP_SECRET, apiBaseUrl: env.API_URL, retry: { minDelay: 0.001, maxDelay: 0.005 } });
      await wechat.tokens.get();
      const failed = await wechat.subscriptions.status(env.VISITOR).catch((error) => error);
      const band = await wechat.subscriptions.status(env.BAND);
      await wechat.close();
      process.stdout.write(['probe done', band.subscribed, JSON.stringify(failed), failed.stack].join('\\n'));`;
    // The first lookup fails its three attempts; the second is retried once. Each attempt traces its URL.
    emulator.injectFault('/cgi-bin/user/info/batchget', 'html500', 1 + 3);
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: {
        ...process.env,
        NODE_DEBUG: 'koa-wechat-subscription',
        // No coverage from the child: c8 garbles the line counts of files a process loaded without running.
        NODE_V8_COVERAGE: '',
        APP_ID: emulator.appId,
        APP_SECRET: emulator.appSecret,
        API_URL: emulator.url,
        BAND: bandOf(emulator),
        VISITOR: emulator.findUser('Visitor')!.openid,
      },
      timeout: 30_000,
    });
    expect(stdout).to.match(/^probe done\ntrue\n\{"name":"WeChatStatusUnknownError"/);
    expect(stderr).to.match(/KOA-WECHAT-SUBSCRIPTION \d+: POST http:\/\/127\.0\.0\.1:\d+\/cgi-bin\/stable_token -> ok/);
    expect(stderr).to.contain('fetched a stable access token for wx0123456789abcdef');
    expect(stderr).to.contain('/cgi-bin/user/info/batchget?access_token=***');
    expect(stderr).to.contain('attempt 3');
    // A stable token is the same for every caller: this is the token the child used.
    const accessToken = await stableTokenOf(emulator);
    expect(emulator.calls('/cgi-bin/stable_token')).to.equal(2);
    expect(leaksIn(stdout + stderr, [emulator.appSecret, accessToken])).to.deep.equal([]);
  });
});
