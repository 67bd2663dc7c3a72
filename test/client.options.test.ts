import { inspect } from 'node:util';
import { expect } from 'chai';
import { WeChatClient, WeChatOptionsError, type WeChatClientOptions } from '../lib/index.js';
import { DEFAULT_API_BASE_URL, DEFAULT_OAUTH_BASE_URL } from '../lib/client/options.js';
import { startFakeWeChat, json } from './support/fake-wechat.js';
import { ACCESS_TOKEN, APP_ID, APP_SECRET } from './support/fixtures.js';

function optionsError(options: unknown): WeChatOptionsError {
  try {
    new WeChatClient(options as WeChatClientOptions);
  } catch (error) {
    expect(error).to.be.instanceOf(WeChatOptionsError);
    return error as WeChatOptionsError;
  }
  throw new Error('expected the constructor to throw');
}

describe('client options', () => {
  it('defaults the base URLs, timeout and retry policy, and freezes the result', () => {
    const client = new WeChatClient({ appId: APP_ID, appSecret: APP_SECRET });
    expect(client.appId).to.equal(APP_ID);
    expect(client.options).to.deep.equal({
      appId: APP_ID,
      apiBaseUrl: DEFAULT_API_BASE_URL,
      oauthBaseUrl: DEFAULT_OAUTH_BASE_URL,
      timeout: 5,
      retry: { retries: 2, minDelay: 0.2, maxDelay: 2 },
    });
    expect(Object.isFrozen(client.options)).to.be.true;
    expect(Object.isFrozen(client.options.retry)).to.be.true;
  });

  const wrong: Array<[string, unknown, string]> = [
    ['options', undefined, 'options'],
    ['appId missing', { appSecret: APP_SECRET }, 'appId'],
    ['appId with a space', { appId: 'wx 123', appSecret: APP_SECRET }, 'appId'],
    ['appId not of the wx shape', { appId: 'my-app', appSecret: APP_SECRET }, 'appId'],
    ['appId and appSecret swapped', { appId: APP_SECRET, appSecret: APP_ID }, 'appId'],
    ['appSecret that is an AppID', { appId: APP_ID, appSecret: APP_ID }, 'appSecret'],
    ['appSecret missing', { appId: APP_ID }, 'appSecret'],
    ['appSecret empty', { appId: APP_ID, appSecret: '  ' }, 'appSecret'],
    ['appSecret with a line break', { appId: APP_ID, appSecret: `${APP_SECRET}\n` }, 'appSecret'],
    ['apiBaseUrl not a URL', { appId: APP_ID, appSecret: APP_SECRET, apiBaseUrl: 'api.weixin.qq.com' }, 'apiBaseUrl'],
    ['apiBaseUrl ftp', { appId: APP_ID, appSecret: APP_SECRET, apiBaseUrl: 'ftp://x' }, 'apiBaseUrl'],
    ['apiBaseUrl with a query', { appId: APP_ID, appSecret: APP_SECRET, apiBaseUrl: 'https://x/?a=1' }, 'apiBaseUrl'],
    ['oauthBaseUrl a number', { appId: APP_ID, appSecret: APP_SECRET, oauthBaseUrl: 42 }, 'oauthBaseUrl'],
    ['timeout zero', { appId: APP_ID, appSecret: APP_SECRET, timeout: 0 }, 'timeout'],
    ['timeout NaN', { appId: APP_ID, appSecret: APP_SECRET, timeout: Number.NaN }, 'timeout'],
    ['timeout in ms by mistake', { appId: APP_ID, appSecret: APP_SECRET, timeout: 5000 }, 'timeout'],
    ['retry not an object', { appId: APP_ID, appSecret: APP_SECRET, retry: 3 }, 'retry'],
    ['retry.retries fractional', { appId: APP_ID, appSecret: APP_SECRET, retry: { retries: 1.5 } }, 'retry.retries'],
    ['retry.minDelay negative', { appId: APP_ID, appSecret: APP_SECRET, retry: { minDelay: -1 } }, 'retry.minDelay'],
    ['retry.maxDelay below minDelay', { appId: APP_ID, appSecret: APP_SECRET, retry: { minDelay: 1, maxDelay: 0.5 } }, 'retry.maxDelay'],
  ];
  for (const [label, options, option] of wrong) {
    it(`throws at construction, naming the option: ${label}`, () => {
      const error = optionsError(options);
      expect(error.option).to.equal(option);
      expect(error.code).to.equal('ERR_WECHAT_OPTIONS');
      expect(error.message).to.contain(`"${option}"`);
    });
  }

  it('never echoes a wrong secret, nor a secret pasted in as the appId', () => {
    for (const options of [
      { appId: APP_ID, appSecret: `${APP_SECRET} ` },
      { appId: APP_SECRET, appSecret: APP_SECRET },
    ]) {
      const error = optionsError(options);
      expect(error.message).not.to.contain(APP_SECRET);
      expect(error.stack).not.to.contain(APP_SECRET);
    }
  });

  it('keeps the secret out of inspect and JSON of the client', () => {
    const client = new WeChatClient({ appId: APP_ID, appSecret: APP_SECRET });
    expect(inspect(client, { showHidden: true, depth: null })).not.to.contain(APP_SECRET);
    expect(JSON.stringify(client)).not.to.contain(APP_SECRET);
  });

  it('keeps a proxy path prefix and drops the trailing slash of a base URL', async () => {
    const server = await startFakeWeChat({
      'GET /wechat/cgi-bin/token': json({ access_token: ACCESS_TOKEN, expires_in: 7200 }),
    });
    const client = new WeChatClient({ appId: APP_ID, appSecret: APP_SECRET, apiBaseUrl: `${server.url}/wechat/` });
    try {
      expect(client.options.apiBaseUrl).to.equal(`${server.url}/wechat`);
      expect((await client.fetchClassicToken()).access_token).to.equal(ACCESS_TOKEN);
    } finally {
      client.close();
      await server.close();
    }
  });
});
