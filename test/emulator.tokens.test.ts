import { expect } from 'chai';
import { WeChatApiError } from '../lib/index.js';
import { useEmulator } from './support/emulator.js';
import { rejectionOf } from './support/fixtures.js';

/** The errcode a global token gets from `/cgi-bin/user/info`, or 0 when it works. */
async function tokenErrcode(h: ReturnType<typeof useEmulator>, accessToken: string): Promise<number> {
  const openid = h.emulator.findUser('Band')!.openid;
  try {
    await h.client.fetchUserInfo({ accessToken, openid });
    return 0;
  } catch (error) {
    if (error instanceof WeChatApiError) return error.errcode;
    throw error;
  }
}

async function postStable(url: string, body: string, contentType = 'application/json'): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}/cgi-bin/stable_token`, { method: 'POST', headers: { 'content-type': contentType }, body });
  return (await response.json()) as Record<string, unknown>;
}

describe('emulator: global access tokens', () => {
  const h = useEmulator();

  describe('classic /cgi-bin/token', () => {
    it('mints a new 86_ token of 7200 s on every call', async () => {
      const { client } = await h.start();
      const first = await client.fetchClassicToken();
      const second = await client.fetchClassicToken();
      expect(first.expires_in).to.equal(7200);
      expect(first.access_token).to.match(/^86_[A-Za-z0-9_-]{100,170}$/);
      expect(second.access_token).to.not.equal(first.access_token);
      expect(h.emulator.calls('/cgi-bin/token')).to.equal(2);
    });

    it('keeps the replaced token working for 5 minutes, then answers 40001 (not latest)', async () => {
      const { client, emulator } = await h.start();
      const old = (await client.fetchClassicToken()).access_token;
      const current = (await client.fetchClassicToken()).access_token;
      emulator.advanceClock(299);
      expect(await tokenErrcode(h, old)).to.equal(0);
      emulator.advanceClock(2);
      expect(await tokenErrcode(h, old)).to.equal(40001);
      expect(await tokenErrcode(h, current)).to.equal(0);
    });

    it('answers 42001 for a token past its lifetime, which is configurable', async () => {
      const { client, emulator } = await h.start({ tokenLifetime: 60, tokenOverlap: 10 });
      const token = await client.fetchClassicToken();
      expect(token.expires_in).to.equal(60);
      emulator.advanceClock(59);
      expect(await tokenErrcode(h, token.access_token)).to.equal(0);
      emulator.advanceClock(1);
      expect(await tokenErrcode(h, token.access_token)).to.equal(42001);
    });

    it('gives 45009 past the daily quota, until the next day in Beijing', async () => {
      const { client, emulator } = await h.start({ dailyQuota: { token: 3 } });
      for (let i = 0; i < 3; i++) await client.fetchClassicToken();
      const error = (await rejectionOf(client.fetchClassicToken())) as WeChatApiError;
      expect(error.errcode).to.equal(45009);
      expect(error.rid).to.match(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
      emulator.advanceClock(86_400);
      expect((await client.fetchClassicToken()).expires_in).to.equal(7200);
    });

    it('refuses a wrong secret with 40125, a wrong appid with 40013, and a bad grant_type with 40002', async () => {
      const { emulator } = await h.start();
      const ask = async (query: string) => ((await (await fetch(`${emulator.url}/cgi-bin/token?${query}`)).json()) as { errcode: number }).errcode;
      const secret = encodeURIComponent(emulator.appSecret);
      expect(await ask(`grant_type=client_credential&appid=${emulator.appId}&secret=wrong`)).to.equal(40125);
      expect(await ask(`grant_type=client_credential&appid=wx1111111111111111&secret=${secret}`)).to.equal(40013);
      expect(await ask(`grant_type=password&appid=${emulator.appId}&secret=${secret}`)).to.equal(40002);
      expect(await ask(`grant_type=client_credential&secret=${secret}`)).to.equal(41002);
      expect(await ask(`grant_type=client_credential&appid=${emulator.appId}`)).to.equal(41004);
    });
  });

  describe('stable /cgi-bin/stable_token', () => {
    it('gives every caller the same token while it has more than 5 minutes left, with the remaining life', async () => {
      const { client, emulator } = await h.start();
      const first = await client.fetchStableToken();
      emulator.advanceClock(1000);
      const again = await client.fetchStableToken();
      expect(again.access_token).to.equal(first.access_token);
      // Floored to whole seconds: the real clock moves a few milliseconds meanwhile.
      expect(again.expires_in).to.be.within(6199, 6200);
    });

    it('rotates in the last 5 minutes; old and new both work until the old one expires', async () => {
      const { client, emulator } = await h.start();
      const first = await client.fetchStableToken();
      emulator.advanceClock(7200 - 300);
      const rotated = await client.fetchStableToken();
      expect(rotated.access_token).to.not.equal(first.access_token);
      expect(rotated.expires_in).to.equal(7200);
      expect(await tokenErrcode(h, first.access_token)).to.equal(0);
      emulator.advanceClock(300);
      expect(await tokenErrcode(h, first.access_token)).to.equal(42001);
      expect(await tokenErrcode(h, rotated.access_token)).to.equal(0);
    });

    it('never returns a token with less than 5 minutes of life', async () => {
      const { client, emulator } = await h.start();
      await client.fetchStableToken();
      for (let elapsed = 0; elapsed < 3 * 7200; elapsed += 137) {
        emulator.advanceClock(137);
        expect((await client.fetchStableToken()).expires_in).to.be.greaterThan(300);
      }
    });

    it('force_refresh rotates at once and kills the old token', async () => {
      const { client } = await h.start();
      const first = await client.fetchStableToken();
      const forced = await client.fetchStableToken({ forceRefresh: true });
      expect(forced.access_token).to.not.equal(first.access_token);
      expect(await tokenErrcode(h, first.access_token)).to.equal(40001);
      expect(await tokenErrcode(h, forced.access_token)).to.equal(0);
    });

    it('ignores a second force_refresh within 30 s', async () => {
      const { client, emulator } = await h.start();
      const forced = await client.fetchStableToken({ forceRefresh: true });
      emulator.advanceClock(29);
      expect((await client.fetchStableToken({ forceRefresh: true })).access_token).to.equal(forced.access_token);
      emulator.advanceClock(1);
      expect((await client.fetchStableToken({ forceRefresh: true })).access_token).to.not.equal(forced.access_token);
    });

    it('allows 20 force refreshes a day, then answers 45009', async () => {
      const { client, emulator } = await h.start();
      for (let i = 0; i < 20; i++) {
        await client.fetchStableToken({ forceRefresh: true });
        emulator.advanceClock(30);
      }
      expect(((await rejectionOf(client.fetchStableToken({ forceRefresh: true }))) as WeChatApiError).errcode).to.equal(45009);
      // The normal mode still works.
      expect((await client.fetchStableToken()).access_token).to.match(/^86_/);
    });

    it('is isolated from the classic token: neither retires the other', async () => {
      const { client, emulator } = await h.start();
      const stable = await client.fetchStableToken();
      const classic = await client.fetchClassicToken();
      await client.fetchClassicToken();
      emulator.advanceClock(301);
      expect(await tokenErrcode(h, stable.access_token)).to.equal(0);
      expect(await tokenErrcode(h, classic.access_token)).to.equal(40001);
      const latestClassic = await client.fetchClassicToken();
      await client.fetchStableToken({ forceRefresh: true });
      expect(await tokenErrcode(h, latestClassic.access_token)).to.equal(0);
    });

    it('takes a JSON body only: a form body gives 41002, GET gives 43002', async () => {
      const { emulator } = await h.start();
      const form = `grant_type=client_credential&appid=${emulator.appId}&secret=${emulator.appSecret}`;
      expect((await postStable(emulator.url, form, 'application/x-www-form-urlencoded')).errcode).to.equal(41002);
      expect((await postStable(emulator.url, 'not json')).errcode).to.equal(41002);
      const get = await fetch(`${emulator.url}/cgi-bin/stable_token?${form}`);
      expect(((await get.json()) as { errcode: number }).errcode).to.equal(43002);
      const json = JSON.stringify({ grant_type: 'client_credential', appid: emulator.appId, secret: emulator.appSecret });
      // The header does not matter, the body does.
      expect((await postStable(emulator.url, json, 'text/plain')).expires_in).to.equal(7200);
    });

    it('refuses a wrong secret (40125) and a wrong grant_type (40002) in the body', async () => {
      const { emulator } = await h.start();
      const body = (fields: Record<string, unknown>) =>
        JSON.stringify({ grant_type: 'client_credential', appid: emulator.appId, secret: emulator.appSecret, ...fields });
      expect((await postStable(emulator.url, body({ secret: 'nope' }))).errcode).to.equal(40125);
      expect((await postStable(emulator.url, body({ grant_type: 'x' }))).errcode).to.equal(40002);
      expect((await postStable(emulator.url, body({ appid: 'wx1111111111111111' }))).errcode).to.equal(40013);
    });
  });

  describe('revocation', () => {
    it('revokeToken() kills the current token now, as if another server had refreshed it', async () => {
      const { client, emulator } = await h.start();
      const classic = await client.fetchClassicToken();
      const stable = await client.fetchStableToken();
      expect(emulator.revokeToken()).to.equal(2);
      expect(await tokenErrcode(h, classic.access_token)).to.equal(40001);
      expect(await tokenErrcode(h, stable.access_token)).to.equal(40001);
      // The next stable call mints a new one rather than handing out the dead token.
      expect((await client.fetchStableToken()).access_token).to.not.equal(stable.access_token);
    });

    it('revokes one kind only when asked', async () => {
      const { client, emulator } = await h.start();
      const classic = await client.fetchClassicToken();
      const stable = await client.fetchStableToken();
      emulator.revokeToken('stable');
      expect(await tokenErrcode(h, classic.access_token)).to.equal(0);
      expect(await tokenErrcode(h, stable.access_token)).to.equal(40001);
    });
  });
});
