import { expect } from 'chai';
import { WeChatApiError, WeChatArgumentError, WeChatClient, WeChatUnavailableError } from '../lib/index.js';
import { errcode, hang, json, raw, type Routes } from './support/fake-wechat.js';
import { useFakeWeChat } from './support/harness.js';
import { APP_ID, APP_SECRET, CODE, HANG_TIMEOUT, OAUTH_TOKEN, OPENID, REFRESH_TOKEN, rejectionOf } from './support/fixtures.js';

const oauthAnswer = {
  access_token: OAUTH_TOKEN,
  expires_in: 7200,
  refresh_token: REFRESH_TOKEN,
  openid: OPENID,
  scope: 'snsapi_base',
};

describe('web authorization', () => {
  describe('authorizeUrl()', () => {
    const client = new WeChatClient({ appId: APP_ID, appSecret: APP_SECRET, oauthBaseUrl: 'http://127.0.0.1:4000' });

    it("puts the parameters in WeChat's order, encodes redirect_uri once and ends with #wechat_redirect", () => {
      const url = client.authorizeUrl({ redirectUri: 'https://shop.example.com/wechat/callback?from=menu&x=a b', state: 'Ab3' });
      expect(url).to.equal(
        'http://127.0.0.1:4000/connect/oauth2/authorize?appid=wxb11529c136998cb6' +
          '&redirect_uri=https%3A%2F%2Fshop.example.com%2Fwechat%2Fcallback%3Ffrom%3Dmenu%26x%3Da%2520b' +
          '&response_type=code&scope=snsapi_base&state=Ab3&connect_redirect=1#wechat_redirect',
      );
    });

    it('defaults to open.weixin.qq.com and puts forcePopup among the extras', () => {
      const url = new WeChatClient({ appId: APP_ID, appSecret: APP_SECRET }).authorizeUrl({
        redirectUri: 'https://shop.example.com/cb',
        state: 'x'.repeat(128),
        scope: 'snsapi_userinfo',
        forcePopup: true,
      });
      expect(url).to.match(/^https:\/\/open\.weixin\.qq\.com\/connect\/oauth2\/authorize\?appid=/);
      expect(url).to.contain('&scope=snsapi_userinfo&state=');
      expect(url).to.match(/&forcePopup=true&connect_redirect=1#wechat_redirect$/);
    });

    const refused: Array<[string, object, string]> = [
      ['a state with a hyphen', { state: 'ab-c' }, 'state'],
      ['an empty state', { state: '' }, 'state'],
      ['a state of 129 characters', { state: 'a'.repeat(129) }, 'state'],
      ['a state of unicode letters', { state: 'état' }, 'state'],
      ['an unknown scope', { scope: 'snsapi_login' }, 'scope'],
      ['a relative redirect_uri', { redirectUri: '/wechat/callback' }, 'redirectUri'],
      ['a javascript: redirect_uri', { redirectUri: 'javascript:alert(1)' }, 'redirectUri'],
      ['a redirect_uri with a fragment', { redirectUri: 'https://shop.example.com/cb#x' }, 'redirectUri'],
    ];
    for (const [label, override, argument] of refused) {
      it(`refuses ${label}`, () => {
        const params = { redirectUri: 'https://shop.example.com/cb', state: 'abc', ...override };
        const error = (() => {
          try {
            client.authorizeUrl(params);
          } catch (thrown) {
            return thrown as WeChatArgumentError;
          }
          throw new Error('expected a throw');
        })();
        expect(error).to.be.instanceOf(WeChatArgumentError);
        expect(error.argument).to.equal(argument);
        expect(error.status).to.equal(400);
      });
    }
  });

  describe('calls', () => {
    const fake = useFakeWeChat();
    const setup = (routes: Routes) => fake.start(routes, { timeout: HANG_TIMEOUT });

    describe('exchangeCode() GET /sns/oauth2/access_token', () => {
      it('reads the JSON that WeChat labels text/plain, and sends the parameters in order', async () => {
        const wechat = await setup({ 'GET /sns/oauth2/access_token': json(oauthAnswer, 'text/plain') });
        expect(await wechat.exchangeCode(CODE)).to.deep.equal(oauthAnswer);
        expect(fake.server.requests[0]!.rawUrl).to.equal(
          `/sns/oauth2/access_token?appid=${APP_ID}&secret=${APP_SECRET}&code=${CODE}&grant_type=authorization_code`,
        );
      });

      it('never repeats the exchange, not even after -1, a 5xx or a timeout', async () => {
        const wechat = await setup({ 'GET /sns/oauth2/access_token': [errcode(-1), raw(502, '<html>bad gateway</html>'), hang] });
        expect(((await rejectionOf(wechat.exchangeCode(CODE))) as WeChatApiError).errcode).to.equal(-1);
        expect(((await rejectionOf(wechat.exchangeCode(CODE))) as WeChatUnavailableError).httpStatus).to.equal(502);
        expect(((await rejectionOf(wechat.exchangeCode(CODE))) as WeChatUnavailableError).reason).to.equal('timeout');
        expect(fake.server.calls('/sns/oauth2/access_token')).to.have.length(3);
      });

      it('refuses an empty code or one with white space, without a call', async () => {
        const wechat = await setup({});
        for (const code of ['', 'abc def', undefined]) {
          const error = await rejectionOf(wechat.exchangeCode(code as unknown as string));
          expect(error).to.be.instanceOf(WeChatArgumentError);
        }
        expect(fake.server.requests).to.have.length(0);
      });

      it('refuses a success body without an openid', async () => {
        const wechat = await setup({ 'GET /sns/oauth2/access_token': json({ ...oauthAnswer, openid: undefined }, 'text/plain') });
        const error = (await rejectionOf(wechat.exchangeCode(CODE))) as WeChatUnavailableError;
        expect(error.reason).to.equal('invalid_response');
        expect(error.message).to.contain('"openid"');
      });
    });

    describe('fetchSnsUserInfo() GET /sns/userinfo', () => {
      const profile = {
        openid: OPENID,
        nickname: '小明',
        sex: 0,
        province: '',
        city: '',
        country: '',
        headimgurl: 'https://thirdwx.qlogo.cn/mmopen/abc/132',
        privilege: [],
      };

      it("returns the nickname and avatar, from WeChat's text/plain JSON", async () => {
        const wechat = await setup({ 'GET /sns/userinfo': json(profile, 'text/plain') });
        expect(await wechat.fetchSnsUserInfo({ accessToken: OAUTH_TOKEN, openid: OPENID })).to.deep.equal(profile);
        expect(fake.server.requests[0]!.rawUrl).to.equal(`/sns/userinfo?access_token=${OAUTH_TOKEN}&openid=${OPENID}&lang=zh_CN`);
      });

      it('reports 48001 (a snsapi_base token) as a configuration error', async () => {
        const wechat = await setup({ 'GET /sns/userinfo': errcode(48001, 'api unauthorized') });
        const error = (await rejectionOf(wechat.fetchSnsUserInfo({ accessToken: OAUTH_TOKEN, openid: OPENID }))) as WeChatApiError;
        expect([error.errcode, error.category]).to.deep.equal([48001, 'config']);
        expect(error.hint.en).to.contain('snsapi_base');
      });
    });
  });
});
