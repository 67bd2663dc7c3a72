import { expect } from 'chai';
import {
  WeChatApiError,
  WeChatArgumentError,
  WeChatError,
  WeChatOptionsError,
  WeChatUnavailableError,
  type ErrorCategory,
  type WeChatClient,
} from '../lib/index.js';
import { parseRid } from '../lib/errors.js';
import { errcode, startFakeWeChat, type FakeWeChat } from './support/fake-wechat.js';
import { ACCESS_TOKEN, OPENID, makeClient, rejectionOf } from './support/fixtures.js';

describe('errors', () => {
  describe('each errcode family of the reference, as WeChat sends it', () => {
    // errcode → the family it belongs to and the status Koa should answer with.
    const families: Array<[number, ErrorCategory, number]> = [
      [-1, 'busy', 503],
      [45011, 'busy', 503],
      [45019, 'busy', 503],
      [45009, 'quota', 503],
      [40001, 'token', 502],
      [40014, 'token', 502],
      [42001, 'token', 502],
      [40002, 'config', 502],
      [40013, 'config', 502],
      [40032, 'config', 502],
      [40125, 'config', 502],
      [40164, 'config', 502],
      [40243, 'config', 502],
      [41001, 'config', 502],
      [41002, 'config', 502],
      [41004, 'config', 502],
      [43002, 'config', 502],
      [48001, 'config', 502],
      [50004, 'config', 502],
      [50007, 'config', 502],
      [89501, 'config', 502],
      [89503, 'config', 502],
      [89506, 'config', 502],
      [89507, 'config', 502],
      [40029, 'code', 400],
      [40030, 'code', 400],
      [40163, 'code', 400],
      [41008, 'code', 400],
      [42002, 'code', 400],
      [42007, 'code', 400],
      [40003, 'openid', 400],
      [50002, 'user', 403],
      [99999, 'unknown', 502],
    ];
    let server: FakeWeChat;
    let client: WeChatClient;
    let current = 0;

    before(async () => {
      server = await startFakeWeChat({
        'GET /cgi-bin/user/info': (request, response) => errcode(current, 'some errmsg')(request, response),
      });
      client = makeClient(server.url, { retry: { retries: 0 } });
    });
    after(async () => {
      client.close();
      await server.close();
    });

    for (const [code, category, status] of families) {
      it(`${code} is "${category}", status ${status}, with a bilingual hint`, async () => {
        current = code;
        const error = (await rejectionOf(client.fetchUserInfo({ accessToken: ACCESS_TOKEN, openid: OPENID }))) as WeChatApiError;
        expect(error).to.be.instanceOf(WeChatApiError);
        expect([error.errcode, error.category, error.status, error.expose]).to.deep.equal([code, category, status, status < 500]);
        expect(error.hint.en).to.match(/\w{3}/);
        expect(error.hint.zh).to.match(/[\u4e00-\u9fff]/);
        expect(error.message).to.contain(`WeChat API error ${code} at /cgi-bin/user/info: ${error.hint.en} / ${error.hint.zh}`);
        expect(error.message).not.to.contain('access_token=');
        expect(error.errmsg).to.equal('some errmsg rid: 6650f1a2-1b2c3d4e-5f6a7b8c');
      });
    }
  });

  it('finds the rid in errmsg, and only there', () => {
    expect(parseRid('invalid appsecret rid: 6650f1a2-1b2c3d4e-5f6a7b8c')).to.equal('6650f1a2-1b2c3d4e-5f6a7b8c');
    expect(
      parseRid(
        'invalid credential, access_token is invalid or not latest, could get access_token by getStableAccessToken, more details at https://mmbizurl.cn/s/JtxxFh33r rid: 66d6a4e6-0b5c1c4f-1a2b3c4d',
      ),
    ).to.equal('66d6a4e6-0b5c1c4f-1a2b3c4d');
    expect(parseRid('invalid ip 1.2.3.4, not in whitelist hint: [aBcD1234]')).to.be.undefined;
    expect(parseRid('')).to.be.undefined;
  });

  it('serializes the safe fields of each class', () => {
    const api = new WeChatApiError({ errcode: 45009, errmsg: 'reach max api daily quota limit rid: 1-2', path: '/cgi-bin/token' });
    expect(JSON.parse(JSON.stringify(api))).to.deep.equal({
      name: 'WeChatApiError',
      code: 'ERR_WECHAT_API',
      status: 503,
      message: api.message,
      errcode: 45009,
      errmsg: 'reach max api daily quota limit rid: 1-2',
      rid: '1-2',
      path: '/cgi-bin/token',
      category: 'quota',
      hint: api.hint,
    });
    const unavailable = new WeChatUnavailableError({
      reason: 'http_status',
      endpoint: 'GET /cgi-bin/token',
      detail: 'answered HTTP 500',
      httpStatus: 500,
    });
    expect(JSON.parse(JSON.stringify(unavailable))).to.include({
      name: 'WeChatUnavailableError',
      reason: 'http_status',
      httpStatus: 500,
      status: 502,
    });
    expect(unavailable.retryable).to.be.true;
    expect(new WeChatUnavailableError({ reason: 'http_status', endpoint: 'x', detail: 'y', httpStatus: 404 }).retryable).to.be.false;
    expect(JSON.parse(JSON.stringify(new WeChatOptionsError('timeout', 'bad')))).to.include({ option: 'timeout', code: 'ERR_WECHAT_OPTIONS' });
    expect(JSON.parse(JSON.stringify(new WeChatArgumentError('openid', 'bad')))).to.include({ argument: 'openid', status: 400 });
  });

  it('names every class, and roots them all in WeChatError', () => {
    const errors = [
      new WeChatApiError({ errcode: -1, errmsg: '', path: '/x' }),
      new WeChatUnavailableError({ reason: 'timeout', endpoint: 'GET /x', detail: 'y' }),
      new WeChatOptionsError('a', 'b'),
      new WeChatArgumentError('a', 'b'),
    ];
    expect(errors.map((error) => error.name)).to.deep.equal([
      'WeChatApiError',
      'WeChatUnavailableError',
      'WeChatOptionsError',
      'WeChatArgumentError',
    ]);
    for (const error of errors) expect(error).to.be.instanceOf(WeChatError).and.instanceOf(Error);
    expect(String(errors[0])).to.match(/^WeChatApiError: WeChat API error -1/);
  });
});
