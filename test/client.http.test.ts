import { expect } from 'chai';
import { redact } from '../lib/index.js';
import { maskSecretFields } from '../lib/util/redact.js';
import { json, startFakeWeChat } from './support/fake-wechat.js';
import { ACCESS_TOKEN, APP_SECRET, CODE, OPENID, followerInfo, makeClient } from './support/fixtures.js';

describe('HTTP transport', () => {
  it('keeps connections alive between calls', async () => {
    const server = await startFakeWeChat({
      'GET /cgi-bin/token': json({ access_token: ACCESS_TOKEN, expires_in: 7200 }),
      'GET /cgi-bin/user/info': json(followerInfo(OPENID)),
    });
    const client = makeClient(server.url);
    try {
      await client.fetchClassicToken();
      await client.fetchUserInfo({ accessToken: ACCESS_TOKEN, openid: OPENID });
      await client.fetchClassicToken();
      const ports = server.requests.map((request) => request.remotePort);
      expect(new Set(ports).size, `client ports ${ports.join(', ')}`).to.equal(1);
      expect(server.requests[0]!.headers.connection).to.equal('keep-alive');
    } finally {
      client.close();
      await server.close();
    }
  });

  it('asks for JSON and names itself', async () => {
    const server = await startFakeWeChat({ 'GET /cgi-bin/token': json({ access_token: ACCESS_TOKEN, expires_in: 7200 }) });
    const client = makeClient(server.url);
    try {
      await client.fetchClassicToken();
      expect(server.requests[0]!.headers).to.include({ accept: 'application/json', 'user-agent': 'koa-wechat-subscription' });
    } finally {
      client.close();
      await server.close();
    }
  });

  describe('redaction', () => {
    it('masks the values of secret query parameters, and only those', () => {
      expect(
        maskSecretFields(
          `https://x/a?grant_type=client_credential&appid=wx1&secret=${APP_SECRET}&code=${CODE}&errcode=1&access_token=${ACCESS_TOKEN}#f`,
        ),
      ).to.equal('https://x/a?grant_type=client_credential&appid=wx1&secret=***&code=***&errcode=1&access_token=***#f');
      expect(maskSecretFields('/sns/oauth2/refresh_token?appid=wx1&REFRESH_TOKEN=abc&scope=x')).to.equal(
        '/sns/oauth2/refresh_token?appid=wx1&REFRESH_TOKEN=***&scope=x',
      );
      expect(maskSecretFields('<pre>access_token=abc&amp;code=def errcode=40001</pre>')).to.equal(
        '<pre>access_token=***&amp;code=*** errcode=40001</pre>',
      );
    });

    it('masks secret JSON fields, even in a body cut off mid-token', () => {
      expect(maskSecretFields('{"access_token": "86_abc","expires_in":7200,"code":40001}')).to.equal(
        '{"access_token": "***","expires_in":7200,"code":40001}',
      );
      expect(maskSecretFields('{"errcode":0,"refresh_token":"86_cut')).to.equal('{"errcode":0,"refresh_token":"***');
    });

    it('masks known secrets wherever they stand, raw or URL-encoded', () => {
      const token = 'tok+en/with=chars';
      expect(redact(`{"secret":"${APP_SECRET}"} body ${token} and ${encodeURIComponent(token)}`, [APP_SECRET, token, ''])).to.equal(
        '{"secret":"***"} body *** and ***',
      );
    });
  });
});
