import { expect } from 'chai';
import { WeChatApiError, WeChatArgumentError, WeChatUnavailableError } from '../lib/index.js';
import { BATCH_LIMIT } from '../lib/client/client.js';
import { errcode, json, type Handler, type Routes } from './support/fake-wechat.js';
import { useFakeWeChat } from './support/harness.js';
import { ACCESS_TOKEN, OPENID, followerInfo, nonFollowerInfo, openidNumber, rejectionOf } from './support/fixtures.js';

/** Odd numbers follow. Answers in reverse order, to prove that the client matches answers by openid. */
const batchAnswer: Handler = (request, response) => {
  const { user_list } = JSON.parse(request.body) as { user_list: Array<{ openid: string }> };
  const infos = user_list.map(({ openid }) => (Number(openid.slice(5)) % 2 === 1 ? followerInfo(openid) : nonFollowerInfo(openid)));
  json({ user_info_list: infos.reverse() })(request, response);
};

describe('user info calls', () => {
  const fake = useFakeWeChat();
  const setup = (routes: Routes) => fake.start(routes);

  describe('fetchUserInfo() GET /cgi-bin/user/info', () => {
    it('returns a follower in the post-2021 shape, with empty nickname and avatar', async () => {
      const wechat = await setup({ 'GET /cgi-bin/user/info': json(followerInfo(OPENID)) });
      const info = await wechat.fetchUserInfo({ accessToken: ACCESS_TOKEN, openid: OPENID });
      expect(info).to.deep.equal(followerInfo(OPENID));
      expect(info.subscribe).to.equal(1);
      if (info.subscribe === 1) expect([info.nickname, info.headimgurl]).to.deep.equal(['', '']);
      expect(fake.server.requests[0]!.rawUrl).to.equal(`/cgi-bin/user/info?access_token=${ACCESS_TOKEN}&openid=${OPENID}&lang=zh_CN`);
    });

    it('returns a non-follower as subscribe: 0 with nothing else', async () => {
      const wechat = await setup({ 'GET /cgi-bin/user/info': json(nonFollowerInfo(OPENID)) });
      expect(await wechat.fetchUserInfo({ accessToken: ACCESS_TOKEN, openid: OPENID, lang: 'en' })).to.deep.equal({
        subscribe: 0,
        openid: OPENID,
        tagid_list: [],
      });
      expect(fake.server.requests[0]!.query.get('lang')).to.equal('en');
    });

    it('refuses malformed openids without a call', async () => {
      const wechat = await setup({});
      for (const openid of ['', 'o'.repeat(129), 'o/../../x', 'oLVP pjq', '小明', 42]) {
        const error = await rejectionOf(wechat.fetchUserInfo({ accessToken: ACCESS_TOKEN, openid: openid as string }));
        expect(error).to.be.instanceOf(WeChatArgumentError);
      }
      expect(fake.server.requests).to.have.length(0);
    });

    it('refuses an answer whose subscribe is neither 0 nor 1', async () => {
      const wechat = await setup({ 'GET /cgi-bin/user/info': json({ openid: OPENID, subscribe: '1' }) });
      const error = (await rejectionOf(wechat.fetchUserInfo({ accessToken: ACCESS_TOKEN, openid: OPENID }))) as WeChatUnavailableError;
      expect(error.reason).to.equal('invalid_response');
    });
  });

  describe('fetchUserInfoBatch() POST /cgi-bin/user/info/batchget', () => {
    it(`splits 250 openids into 3 calls of at most ${BATCH_LIMIT}, and answers in the order asked`, async () => {
      const wechat = await setup({ 'POST /cgi-bin/user/info/batchget': batchAnswer });
      const openids = Array.from({ length: 250 }, (_, index) => openidNumber(index));
      const infos = await wechat.fetchUserInfoBatch({ accessToken: ACCESS_TOKEN, openids });

      expect(infos.map((info) => info.openid)).to.deep.equal(openids);
      expect(infos.map((info) => info.subscribe)).to.deep.equal(openids.map((_, index) => index % 2));
      const calls = fake.server.calls('/cgi-bin/user/info/batchget');
      expect(calls.map((call) => (JSON.parse(call.body) as { user_list: unknown[] }).user_list.length).sort((a, b) => b - a)).to.deep.equal([
        100, 100, 50,
      ]);
      const sent = calls.flatMap((call) => (JSON.parse(call.body) as { user_list: Array<{ openid: string }> }).user_list.map((u) => u.openid));
      expect(sent.sort()).to.deep.equal([...openids].sort());
      expect(calls[0]!.rawUrl).to.equal(`/cgi-bin/user/info/batchget?access_token=${ACCESS_TOKEN}`);
      expect(JSON.parse(calls[0]!.body)).to.have.nested.property('user_list[0].lang', 'zh_CN');
    });

    it('makes no call for an empty list', async () => {
      const wechat = await setup({});
      expect(await wechat.fetchUserInfoBatch({ accessToken: ACCESS_TOKEN, openids: [] })).to.deep.equal([]);
      expect(fake.server.requests).to.have.length(0);
    });

    it('refuses the whole list, naming the entry, when one openid is malformed', async () => {
      const wechat = await setup({});
      const error = (await rejectionOf(
        wechat.fetchUserInfoBatch({ accessToken: ACCESS_TOKEN, openids: [OPENID, 'bad openid'] }),
      )) as WeChatArgumentError;
      expect(error.argument).to.equal('openids[1]');
      expect(fake.server.requests).to.have.length(0);
    });

    it('reports 40003 for a well-formed openid of another app', async () => {
      const wechat = await setup({ 'POST /cgi-bin/user/info/batchget': errcode(40003, 'invalid openid') });
      const error = (await rejectionOf(wechat.fetchUserInfoBatch({ accessToken: ACCESS_TOKEN, openids: [OPENID] }))) as WeChatApiError;
      expect(error.errcode).to.equal(40003);
      expect(error.path).to.equal('/cgi-bin/user/info/batchget');
    });

    it('refuses an answer that lacks one of the openids asked for', async () => {
      const wechat = await setup({ 'POST /cgi-bin/user/info/batchget': json({ user_info_list: [followerInfo(openidNumber(1))] }) });
      const error = (await rejectionOf(
        wechat.fetchUserInfoBatch({ accessToken: ACCESS_TOKEN, openids: [openidNumber(1), openidNumber(2)] }),
      )) as WeChatUnavailableError;
      expect(error.reason).to.equal('invalid_response');
      expect(error.message).to.contain(openidNumber(2));
    });

    it('refuses an answer without user_info_list', async () => {
      const wechat = await setup({ 'POST /cgi-bin/user/info/batchget': json({ user_info_list: null }) });
      const error = (await rejectionOf(wechat.fetchUserInfoBatch({ accessToken: ACCESS_TOKEN, openids: [OPENID] }))) as WeChatUnavailableError;
      expect(error.reason).to.equal('invalid_response');
    });

    it('refuses an openids argument that is not an array', async () => {
      const wechat = await setup({});
      const error = await rejectionOf(wechat.fetchUserInfoBatch({ accessToken: ACCESS_TOKEN, openids: OPENID as unknown as string[] }));
      expect(error).to.be.instanceOf(WeChatArgumentError);
    });
  });
});
