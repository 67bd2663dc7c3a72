import { expect } from 'chai';
import { WeChatApiError, WeChatUnavailableError } from '../lib/index.js';
import { errcode, json, type Routes } from './support/fake-wechat.js';
import { useFakeWeChat } from './support/harness.js';
import { ACCESS_TOKEN, APP_ID, APP_SECRET, rejectionOf } from './support/fixtures.js';

describe('global access token calls', () => {
  const fake = useFakeWeChat();
  const setup = (routes: Routes) => fake.start(routes);

  describe('GET /cgi-bin/token (classic)', () => {
    it('sends grant_type, appid and secret in that order and returns the token', async () => {
      const wechat = await setup({ 'GET /cgi-bin/token': json({ access_token: ACCESS_TOKEN, expires_in: 7200 }) });
      expect(await wechat.fetchClassicToken()).to.deep.equal({ access_token: ACCESS_TOKEN, expires_in: 7200 });
      expect(fake.server.requests[0]!.rawUrl).to.equal(`/cgi-bin/token?grant_type=client_credential&appid=${APP_ID}&secret=${APP_SECRET}`);
    });

    it('fails at once on 40125 (wrong secret), with the hint and no retry', async () => {
      const wechat = await setup({ 'GET /cgi-bin/token': errcode(40125, 'invalid appsecret') });
      const error = await rejectionOf(wechat.fetchClassicToken());
      expect(error).to.be.instanceOf(WeChatApiError);
      const apiError = error as WeChatApiError;
      expect(apiError.errcode).to.equal(40125);
      expect(apiError.category).to.equal('config');
      expect(apiError.status).to.equal(502);
      expect(apiError.hint.en).to.contain('AppSecret');
      expect(apiError.hint.zh).to.contain('appsecret');
      expect(apiError.path).to.equal('/cgi-bin/token');
      expect(apiError.rid).to.equal('6650f1a2-1b2c3d4e-5f6a7b8c');
      expect(fake.server.calls('/cgi-bin/token')).to.have.length(1);
    });

    it('retries errcode -1 and then succeeds', async () => {
      const wechat = await setup({
        'GET /cgi-bin/token': [errcode(-1, 'system error'), json({ access_token: ACCESS_TOKEN, expires_in: 7200 })],
      });
      expect((await wechat.fetchClassicToken()).access_token).to.equal(ACCESS_TOKEN);
      expect(fake.server.calls('/cgi-bin/token')).to.have.length(2);
    });

    it('gives up on -1 after the configured retries, with a 503', async () => {
      const wechat = await setup({ 'GET /cgi-bin/token': errcode(-1, 'system error') });
      const error = (await rejectionOf(wechat.fetchClassicToken())) as WeChatApiError;
      expect(error.errcode).to.equal(-1);
      expect(error.status).to.equal(503);
      expect(error.retryable).to.be.true;
      expect(fake.server.calls('/cgi-bin/token')).to.have.length(3);
    });

    it('does not retry a spent daily quota (45009)', async () => {
      const wechat = await setup({ 'GET /cgi-bin/token': errcode(45009, 'reach max api daily quota limit') });
      const error = (await rejectionOf(wechat.fetchClassicToken())) as WeChatApiError;
      expect(error.category).to.equal('quota');
      expect(error.status).to.equal(503);
      expect(fake.server.calls('/cgi-bin/token')).to.have.length(1);
    });

    it('reads 40001 from a token fetch as a refused secret, not as a stale token', async () => {
      const wechat = await setup({ 'GET /cgi-bin/token': errcode(40001, 'invalid credential') });
      const error = (await rejectionOf(wechat.fetchClassicToken())) as WeChatApiError;
      expect([error.errcode, error.category, error.status]).to.deep.equal([40001, 'config', 502]);
      expect(error.hint.en).to.contain('AppSecret');
      expect(fake.server.requests).to.have.length(1);
    });

    it('keeps the caller IP that 40164 reports', async () => {
      const wechat = await setup({ 'GET /cgi-bin/token': errcode(40164, 'invalid ip 203.0.113.9 ipv6 ::ffff:203.0.113.9, not in whitelist') });
      const error = (await rejectionOf(wechat.fetchClassicToken())) as WeChatApiError;
      expect(error.errmsg).to.contain('203.0.113.9');
      expect(error.hint.en).to.contain('whitelist');
    });

    it('refuses a success body without expires_in as an invalid response', async () => {
      const wechat = await setup({ 'GET /cgi-bin/token': json({ access_token: ACCESS_TOKEN }) });
      const error = (await rejectionOf(wechat.fetchClassicToken())) as WeChatUnavailableError;
      expect(error).to.be.instanceOf(WeChatUnavailableError);
      expect(error.reason).to.equal('invalid_response');
      expect(error.message).to.contain('expires_in');
    });

    it('refuses an empty token', async () => {
      const wechat = await setup({ 'GET /cgi-bin/token': json({ access_token: '', expires_in: 7200 }) });
      expect(((await rejectionOf(wechat.fetchClassicToken())) as WeChatUnavailableError).reason).to.equal('invalid_response');
    });
  });

  describe('POST /cgi-bin/stable_token', () => {
    it('posts a JSON body in normal mode and keeps the secret out of the URL', async () => {
      const wechat = await setup({ 'POST /cgi-bin/stable_token': json({ access_token: ACCESS_TOKEN, expires_in: 5400 }) });
      expect(await wechat.fetchStableToken()).to.deep.equal({ access_token: ACCESS_TOKEN, expires_in: 5400 });
      const [request] = fake.server.requests;
      expect(request!.rawUrl).to.equal('/cgi-bin/stable_token');
      expect(request!.headers['content-type']).to.match(/^application\/json/);
      expect(JSON.parse(request!.body)).to.deep.equal({
        grant_type: 'client_credential',
        appid: APP_ID,
        secret: APP_SECRET,
        force_refresh: false,
      });
    });

    it('asks for force_refresh only when told to', async () => {
      const wechat = await setup({ 'POST /cgi-bin/stable_token': json({ access_token: ACCESS_TOKEN, expires_in: 7200 }) });
      await wechat.fetchStableToken({ forceRefresh: true });
      expect(JSON.parse(fake.server.requests[0]!.body)).to.include({ force_refresh: true });
    });

    it('reports 41002 (the form-body mistake) as a configuration error', async () => {
      const wechat = await setup({ 'POST /cgi-bin/stable_token': errcode(41002, 'appid missing') });
      const error = (await rejectionOf(wechat.fetchStableToken())) as WeChatApiError;
      expect([error.errcode, error.category, error.status]).to.deep.equal([41002, 'config', 502]);
      expect(fake.server.requests).to.have.length(1);
    });

    it('retries -1, as the classic call does', async () => {
      const wechat = await setup({
        'POST /cgi-bin/stable_token': [errcode(-1), errcode(-1), json({ access_token: ACCESS_TOKEN, expires_in: 7200 })],
      });
      expect((await wechat.fetchStableToken()).access_token).to.equal(ACCESS_TOKEN);
      expect(fake.server.requests).to.have.length(3);
    });
  });
});
