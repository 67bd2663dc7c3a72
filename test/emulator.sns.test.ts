import { expect } from 'chai';
import { WeChatClient } from '../lib/index.js';
import { authorizeAs, codeOf, useEmulator } from './support/emulator.js';
import { errcodeOf } from './support/fixtures.js';

describe('emulator: /sns endpoints of web authorization', () => {
  const h = useEmulator();

  describe('GET /sns/oauth2/access_token', () => {
    it('answers JSON labelled text/plain, as WeChat does', async () => {
      const { emulator, client } = await h.start();
      const code = codeOf(await authorizeAs(client, 'Band'));
      const response = await fetch(
        `${emulator.url}/sns/oauth2/access_token?appid=${emulator.appId}&secret=${emulator.appSecret}&code=${code}&grant_type=authorization_code`,
      );
      expect(response.headers.get('content-type')).to.equal('text/plain');
      const body = (await response.json()) as Record<string, unknown>;
      expect(Object.keys(body)).to.deep.equal(['access_token', 'expires_in', 'refresh_token', 'openid', 'scope']);
      expect(body.openid).to.equal(emulator.findUser('Band')!.openid);
      expect(body.scope).to.equal('snsapi_base');
      expect(body.expires_in).to.equal(7200);
    });

    it('gives the openid of non-followers too', async () => {
      const { emulator, client } = await h.start();
      const exchanged = await client.exchangeCode(codeOf(await authorizeAs(client, 'Visitor')));
      expect(exchanged.openid).to.equal(emulator.findUser('Visitor')!.openid);
    });

    it('takes a code once: the second exchange answers 40163', async () => {
      const { client } = await h.start();
      const code = codeOf(await authorizeAs(client, 'Band'));
      await client.exchangeCode(code);
      expect(await errcodeOf(client.exchangeCode(code))).to.equal(40163);
    });

    it('expires a code after 5 minutes with 40029', async () => {
      const { client, emulator } = await h.start();
      const fresh = codeOf(await authorizeAs(client, 'Band'));
      const stale = codeOf(await authorizeAs(client, 'Band'));
      emulator.advanceClock(299);
      await client.exchangeCode(fresh);
      emulator.advanceClock(1);
      expect(await errcodeOf(client.exchangeCode(stale))).to.equal(40029);
    });

    it('answers 40029 for a code it never issued, and 41008 for none', async () => {
      const { client, emulator } = await h.start();
      expect(await errcodeOf(client.exchangeCode('061NeverIssuedCode0000000000000A'))).to.equal(40029);
      const response = await fetch(
        `${emulator.url}/sns/oauth2/access_token?appid=${emulator.appId}&secret=${emulator.appSecret}&grant_type=authorization_code`,
      );
      expect(((await response.json()) as { errcode: number }).errcode).to.equal(41008);
    });

    it('refuses a wrong secret with 40125 and does not spend the code', async () => {
      const { client, emulator } = await h.start();
      const code = codeOf(await authorizeAs(client, 'Band'));
      const other = new WeChatClient({ appId: emulator.appId, appSecret: 'not-the-secret', apiBaseUrl: emulator.url });
      try {
        expect(await errcodeOf(other.exchangeCode(code))).to.equal(40125);
      } finally {
        other.close();
      }
      expect((await client.exchangeCode(code)).openid).to.be.a('string');
    });

    it('adds unionid for snsapi_userinfo on accounts bound to the Open Platform, and never for snsapi_base', async () => {
      const { client } = await h.start({ unionid: true });
      const userinfo = await client.exchangeCode(codeOf(await authorizeAs(client, 'Band', { scope: 'snsapi_userinfo' })));
      expect(userinfo.unionid).to.match(/^[A-Za-z0-9_-]{28}$/);
      const base = await client.exchangeCode(codeOf(await authorizeAs(client, 'Band')));
      expect(base).to.not.have.property('unionid');
    });

    it('marks the virtual user of a snapshot page with is_snapshotuser: 1', async () => {
      const { client, emulator } = await h.start();
      const callback = await authorizeAs(client, 'Band', { scope: 'snsapi_userinfo', extra: { emulator_snapshot: '1' } });
      const exchanged = await client.exchangeCode(codeOf(callback));
      expect(exchanged.is_snapshotuser).to.equal(1);
      expect(emulator.findUser(exchanged.openid)).to.be.undefined;
      expect(exchanged.openid).to.match(/^o[A-Za-z0-9_-]{27}$/);
    });
  });

  describe('GET /sns/userinfo', () => {
    it('gives nickname and avatar for a snsapi_userinfo token, with the post-2021 empty fields', async () => {
      const { client, emulator } = await h.start();
      const { access_token, openid } = await client.exchangeCode(codeOf(await authorizeAs(client, 'Band', { scope: 'snsapi_userinfo' })));
      const user = await client.fetchSnsUserInfo({ accessToken: access_token, openid });
      expect(user).to.deep.include({ openid, nickname: 'Band', sex: 0, province: '', city: '', country: '', privilege: [] });
      expect(user.headimgurl).to.equal(`${emulator.url}/emulator/avatar/${openid}/132`);
      const avatar = await fetch(user.headimgurl);
      expect(avatar.headers.get('content-type')).to.contain('image/svg+xml');
    });

    it('answers 48001 for a snsapi_base token', async () => {
      const { client } = await h.start();
      const { access_token, openid } = await client.exchangeCode(codeOf(await authorizeAs(client, 'Band')));
      expect(await errcodeOf(client.fetchSnsUserInfo({ accessToken: access_token, openid }))).to.equal(48001);
    });

    it('answers 48001 for a snapshot user', async () => {
      const { client } = await h.start();
      const callback = await authorizeAs(client, 'Band', { scope: 'snsapi_userinfo', extra: { emulator_snapshot: '1' } });
      const { access_token, openid } = await client.exchangeCode(codeOf(callback));
      expect(await errcodeOf(client.fetchSnsUserInfo({ accessToken: access_token, openid }))).to.equal(48001);
    });

    it('answers 40003 for an openid that is not the token’s, 42001 for an expired token, 40001 for a global token', async () => {
      const { client, emulator } = await h.start();
      const { access_token } = await client.exchangeCode(codeOf(await authorizeAs(client, 'Band', { scope: 'snsapi_userinfo' })));
      const visitor = emulator.findUser('Visitor')!.openid;
      expect(await errcodeOf(client.fetchSnsUserInfo({ accessToken: access_token, openid: visitor }))).to.equal(40003);
      const global = (await client.fetchStableToken()).access_token;
      expect(await errcodeOf(client.fetchSnsUserInfo({ accessToken: global, openid: visitor }))).to.equal(40001);
      emulator.advanceClock(7200);
      const band = emulator.findUser('Band')!.openid;
      expect(await errcodeOf(client.fetchSnsUserInfo({ accessToken: access_token, openid: band }))).to.equal(42001);
    });
  });

  describe('GET /sns/auth and /sns/oauth2/refresh_token', () => {
    async function grant() {
      const { client, emulator } = await h.start();
      const exchanged = await client.exchangeCode(codeOf(await authorizeAs(client, 'Band', { scope: 'snsapi_userinfo' })));
      const sns = async (path: string, query: Record<string, string>) =>
        (await (await fetch(`${emulator.url}${path}?${new URLSearchParams(query).toString()}`)).json()) as Record<string, unknown>;
      return { emulator, exchanged, sns };
    }

    it('/sns/auth answers errcode 0 "ok" for a valid pair, 40003 for another openid', async () => {
      const { exchanged, sns, emulator } = await grant();
      expect(await sns('/sns/auth', { access_token: exchanged.access_token, openid: exchanged.openid })).to.deep.equal({ errcode: 0, errmsg: 'ok' });
      const other = emulator.findUser('Visitor')!.openid;
      expect((await sns('/sns/auth', { access_token: exchanged.access_token, openid: other })).errcode).to.equal(40003);
    });

    it('refresh_token gives a new access token for the same grant, and lives 30 days', async () => {
      const { exchanged, sns, emulator } = await grant();
      const query = { appid: emulator.appId, grant_type: 'refresh_token', refresh_token: exchanged.refresh_token };
      emulator.advanceClock(7200);
      const refreshed = await sns('/sns/oauth2/refresh_token', query);
      expect(refreshed).to.include({ openid: exchanged.openid, scope: 'snsapi_userinfo', refresh_token: exchanged.refresh_token, expires_in: 7200 });
      expect(refreshed.access_token).to.not.equal(exchanged.access_token);
      expect(await sns('/sns/auth', { access_token: refreshed.access_token as string, openid: exchanged.openid })).to.include({ errcode: 0 });
      emulator.advanceClock(30 * 86_400);
      expect((await sns('/sns/oauth2/refresh_token', query)).errcode).to.equal(42002);
    });

    it('refresh_token answers 40030 for an unknown token and 42007 once the user’s tokens are revoked', async () => {
      const { exchanged, sns, emulator } = await grant();
      const query = (refreshToken: string) => ({ appid: emulator.appId, grant_type: 'refresh_token', refresh_token: refreshToken });
      expect((await sns('/sns/oauth2/refresh_token', query('86_unknown'))).errcode).to.equal(40030);
      emulator.revokeUserTokens(exchanged.openid);
      expect((await sns('/sns/oauth2/refresh_token', query(exchanged.refresh_token))).errcode).to.equal(42007);
      expect((await sns('/sns/auth', { access_token: exchanged.access_token, openid: exchanged.openid })).errcode).to.equal(40001);
    });
  });
});
