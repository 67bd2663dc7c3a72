import { expect } from 'chai';
import { createEmulator } from '../lib/emulator/index.js';
import { useEmulator } from './support/emulator.js';
import { errcodeOf } from './support/fixtures.js';

describe('emulator: /cgi-bin/user endpoints and test users', () => {
  const h = useEmulator();
  const token = async () => (await h.client.fetchStableToken()).access_token;

  describe('GET /cgi-bin/user/info', () => {
    it('answers a follower in the post-2021 shape: empty nickname and avatar, labelled application/json', async () => {
      const { emulator } = await h.start();
      const band = emulator.findUser('Band')!;
      const response = await fetch(`${emulator.url}/cgi-bin/user/info?access_token=${await token()}&openid=${band.openid}&lang=zh_CN`);
      expect(response.headers.get('content-type')).to.equal('application/json; encoding=utf-8');
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).to.deep.equal({
        subscribe: 1,
        openid: band.openid,
        nickname: '',
        sex: 0,
        language: 'zh_CN',
        city: '',
        province: '',
        country: '',
        headimgurl: '',
        subscribe_time: band.subscribeTime,
        remark: 'from the original recipe',
        groupid: 0,
        tagid_list: [2],
        subscribe_scene: 'ADD_SCENE_QR_CODE',
        qr_scene: 0,
        qr_scene_str: '',
      });
    });

    it('answers a non-follower with nothing else: subscribe 0, openid and an empty tag list', async () => {
      const { client, emulator } = await h.start();
      const visitor = emulator.findUser('Visitor')!;
      expect(await client.fetchUserInfo({ accessToken: await token(), openid: visitor.openid })).to.deep.equal({
        subscribe: 0,
        openid: visitor.openid,
        tagid_list: [],
      });
    });

    it('follows the user’s state: unfollow gives 0 at once, follow gives 1 with a new subscribe_time', async () => {
      const { client, emulator } = await h.start();
      const band = emulator.findUser('Band')!;
      const accessToken = await token();
      await emulator.unfollow(band.openid);
      expect((await client.fetchUserInfo({ accessToken, openid: band.openid })).subscribe).to.equal(0);
      emulator.advanceClock(60);
      await emulator.follow(band.openid);
      const info = await client.fetchUserInfo({ accessToken, openid: band.openid });
      expect(info.subscribe).to.equal(1);
      expect(info.subscribe === 1 && info.subscribe_time).to.be.greaterThan(band.subscribeTime!);
    });

    it('answers 40003 for an unknown openid, 41001 without a token, 40001 for an OAuth token', async () => {
      const { client, emulator } = await h.start();
      expect(await errcodeOf(client.fetchUserInfo({ accessToken: await token(), openid: 'oLVPpjqs9BhvzwPj5A-vTYAX3GLc' }))).to.equal(40003);
      const missing = await fetch(`${emulator.url}/cgi-bin/user/info?openid=${emulator.findUser('Band')!.openid}`);
      expect(((await missing.json()) as { errcode: number }).errcode).to.equal(41001);
      const url = client.authorizeUrl({ redirectUri: 'http://localhost/cb', state: 's' }).replace('#wechat_redirect', '&emulator_user=Band');
      const code = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')!;
      const oauth = await client.exchangeCode(code);
      expect(await errcodeOf(client.fetchUserInfo({ accessToken: oauth.access_token, openid: oauth.openid }))).to.equal(40001);
    });

    it('includes unionid for followers of a bound account only', async () => {
      const { client, emulator } = await h.start({ unionid: true });
      const accessToken = await token();
      const band = await client.fetchUserInfo({ accessToken, openid: emulator.findUser('Band')!.openid });
      expect(band)
        .to.have.property('unionid')
        .that.matches(/^[A-Za-z0-9_-]{28}$/);
      const visitor = await client.fetchUserInfo({ accessToken, openid: emulator.findUser('Visitor')!.openid });
      expect(visitor).to.not.have.property('unionid');
    });
  });

  describe('POST /cgi-bin/user/info/batchget', () => {
    it('answers up to 100 users in their own shapes', async () => {
      const users = Array.from({ length: 100 }, (_, i) => ({ nickname: `user${i}`, subscribed: i % 3 === 0 }));
      const { client, emulator } = await h.start({ users });
      const openids = emulator.users().map((user) => user.openid);
      const answers = await client.fetchUserInfoBatch({ accessToken: await token(), openids });
      expect(answers.map((answer) => answer.subscribe)).to.deep.equal(users.map((user) => (user.subscribed ? 1 : 0)));
      expect(emulator.calls('/cgi-bin/user/info/batchget')).to.equal(1);
    });

    it('answers 40032 for an empty list or one over 100, and 40003 when one entry is bad', async () => {
      const { emulator } = await h.start({ users: Array.from({ length: 101 }, (_, i) => ({ nickname: `u${i}` })) });
      const accessToken = await token();
      const post = async (list: unknown) => {
        const response = await fetch(`${emulator.url}/cgi-bin/user/info/batchget?access_token=${accessToken}`, {
          method: 'POST',
          body: JSON.stringify({ user_list: list }),
        });
        return ((await response.json()) as { errcode?: number }).errcode;
      };
      const entries = emulator.users().map((user) => ({ openid: user.openid, lang: 'zh_CN' }));
      expect(await post([])).to.equal(40032);
      expect(await post(entries)).to.equal(40032);
      expect(await post(entries.slice(0, 100))).to.be.undefined;
      expect(await post([entries[0], { openid: 'oNotAUserOfThisAccount000000' }])).to.equal(40003);
      expect(await post([entries[0], { lang: 'zh_CN' }])).to.equal(40003);
      expect(await post([entries[0], 'not an object'])).to.equal(40003);
      expect(await post('not a list')).to.equal(47001);
    });
  });

  describe('GET /cgi-bin/user/get', () => {
    it('pages through the followers in follow order, next_openid chaining the pages', async () => {
      const users = Array.from({ length: 7 }, (_, i) => ({ nickname: `f${i}`, subscribed: i !== 3 }));
      const { emulator } = await h.start({ users, followersPageSize: 4 });
      const accessToken = await token();
      const page = async (next?: string) =>
        (await (
          await fetch(`${emulator.url}/cgi-bin/user/get?access_token=${accessToken}${next === undefined ? '' : `&next_openid=${next}`}`)
        ).json()) as {
          total: number;
          count: number;
          data?: { openid: string[] };
          next_openid: string;
        };
      const first = await page();
      expect([first.total, first.count]).to.deep.equal([6, 4]);
      const second = await page(first.next_openid);
      expect([second.total, second.count]).to.deep.equal([6, 2]);
      const end = await page(second.next_openid);
      expect(end).to.deep.equal({ total: 6, count: 0, next_openid: '' });
      const followers = emulator
        .users()
        .filter((user) => user.subscribed)
        .map((user) => user.openid);
      expect([...first.data!.openid, ...second.data!.openid]).to.have.members(followers);
      expect(second.next_openid).to.equal(second.data!.openid.at(-1));
    });

    it('answers {total: 0, count: 0, next_openid: ""} without data when nobody follows', async () => {
      const { emulator } = await h.start({ users: [{ nickname: 'alone' }] });
      const body = await (await fetch(`${emulator.url}/cgi-bin/user/get?access_token=${await token()}`)).json();
      expect(body).to.deep.equal({ total: 0, count: 0, next_openid: '' });
    });
  });

  describe('test users', () => {
    it('have 28-character openids of the real shape, sharing the account’s prefix', async () => {
      const { emulator } = await h.start({ users: Array.from({ length: 20 }, (_, i) => ({ nickname: `n${i}` })) });
      const openids = emulator.users().map((user) => user.openid);
      for (const openid of openids) expect(openid).to.match(/^o[A-Za-z0-9_-]{27}$/);
      expect(new Set(openids.map((openid) => openid.slice(0, 6))).size).to.equal(1);
      expect(new Set(openids).size).to.equal(20);
    });

    it('get the same openids from the same seed, and others from another seed or none', () => {
      const openidOf = (seed: string | undefined) => createEmulator({ seed, users: [{ nickname: 'Band' }] }).users()[0]!.openid;
      expect(openidOf('a')).to.equal(openidOf('a'));
      expect(openidOf('a')).to.not.equal(openidOf('b'));
      expect(openidOf(undefined)).to.not.equal(openidOf(undefined));
    });

    it('can have fixed openids', async () => {
      const { emulator } = await h.start({ users: [{ nickname: 'Fixed', openid: 'oLVPpjqs9BhvzwPj5A-vTYAX3GLc', subscribed: true }] });
      expect(emulator.findUser('Fixed')!.openid).to.equal('oLVPpjqs9BhvzwPj5A-vTYAX3GLc');
      expect(emulator.findUser('oLVPpjqs9BhvzwPj5A-vTYAX3GLc')!.nickname).to.equal('Fixed');
    });

    it('default to Band, who follows, and Visitor, who does not', () => {
      const users = createEmulator().users();
      expect(users.map((user) => [user.nickname, user.subscribed])).to.deep.equal([
        ['Band', true],
        ['Visitor', false],
      ]);
    });

    it('refuse a taken nickname or openid', () => {
      const emulator = createEmulator();
      expect(() => emulator.createUser({ nickname: 'Band' })).to.throw(TypeError, /exists already/);
      expect(() => emulator.createUser({ nickname: 'New', openid: emulator.findUser('Band')!.openid })).to.throw(TypeError, /exists already/);
    });
  });
});
