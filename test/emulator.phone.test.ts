import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { WeChatApiError, type WeChatClient } from '../lib/index.js';
import type { Emulator } from '../lib/emulator/index.js';
import { callbackOf, expectErrorPage, formLabelled, formsOf, headingOf, load, phoneOf, post, type PageAnswer } from './support/authorize-pages.js';
import { CALLBACK, useEmulator } from './support/emulator.js';
import { rejectionOf } from './support/fixtures.js';

const STATE = 'xyz789';
const CHOOSE = '/connect/oauth2/authorize/choose';
const CONSENT = '/connect/oauth2/authorize/consent';

/** The client's authorize URL, plus `extra` after its own extras. */
function authorizeUrl(
  client: WeChatClient,
  scope: 'snsapi_base' | 'snsapi_userinfo',
  extra: Record<string, string> = {},
  forcePopup = false,
): string {
  const url = client.authorizeUrl({ redirectUri: CALLBACK, state: STATE, scope, forcePopup });
  const more = new URLSearchParams(extra).toString();
  return more === '' ? url : url.replace('#wechat_redirect', `&${more}#wechat_redirect`);
}

/** The query string the phone page's forms must carry along. */
const queryOf = (url: string): string => new URL(url).search.slice(1);

const openidOf = (emulator: Emulator, nickname: string): string => emulator.findUser(nickname)!.openid;

/** The `wxemu_openid` value a response sets, or undefined. */
function phoneCookieOf(answer: PageAnswer): string | undefined {
  return /(?:^|,\s*)wxemu_openid=([^;]*)/.exec(answer.setCookie ?? '')?.[1];
}

async function subscribeOf(client: WeChatClient, openid: string): Promise<0 | 1> {
  const { access_token: accessToken } = await client.fetchClassicToken();
  return (await client.fetchUserInfo({ accessToken, openid })).subscribe;
}

describe('emulator: the phone pages of web authorization', () => {
  const h = useEmulator();

  describe('the picker (no cookie, no emulator_user)', () => {
    it('lists the test users, whether each follows, with a form per user and a create form', async () => {
      const { emulator, client } = await h.start();
      const url = authorizeUrl(client, 'snsapi_base');
      const page = await load(url);
      expect([page.status, page.location]).to.deep.equal([200, null]);
      expect(page.type).to.match(/^text\/html/);
      expect(page.body).to.match(/Band <span class="badge on">follows<\/span>/);
      expect(page.body).to.match(/Visitor <span class="badge">does not follow<\/span>/);
      const forms = formsOf(page.body);
      expect(forms.map((form) => [form.action, form.fields.openid, form.label])).to.deep.equal([
        [CHOOSE, openidOf(emulator, 'Band'), 'Continue as Band'],
        [CHOOSE, openidOf(emulator, 'Visitor'), 'Continue as Visitor'],
        [CHOOSE, undefined, 'Create and continue'],
      ]);
      for (const form of forms) expect(form.fields.q).to.equal(queryOf(url));
      expect(page.body).to.match(/<input type="text" name="nickname"/);
      expect(page.body).to.match(/<input type="checkbox" name="subscribed" value="1">/);
    });

    it('carries a query with extras and encoded characters exactly', async () => {
      const { client } = await h.start();
      const url = client
        .authorizeUrl({ redirectUri: `${CALLBACK}?from=menu&x="a b"`, state: STATE, scope: 'snsapi_userinfo', forcePopup: true })
        .replace('#wechat_redirect', '&utm=%3Cb%3E#wechat_redirect');
      const page = await load(url);
      expect(page.body).not.to.contain('<b>');
      for (const form of formsOf(page.body)) expect(form.fields.q).to.equal(queryOf(url));
    });

    it('ignores a cookie naming an unknown openid and shows the picker', async () => {
      const { client } = await h.start();
      const page = await load(authorizeUrl(client, 'snsapi_base'), { headers: phoneOf('oUnknownUnknownUnknownUnknow') });
      expect(page.status).to.equal(200);
      expect(formsOf(page.body)).to.have.length(3);
    });

    it('escapes what it shows: a nickname with markup appears as text', async () => {
      const { emulator, client } = await h.start();
      emulator.createUser({ nickname: '<script>x</script>' });
      const page = await load(authorizeUrl(client, 'snsapi_base'));
      expect(page.body).to.contain('&lt;script&gt;x&lt;/script&gt;');
      expect(page.body).not.to.contain('<script>x</script>');
      expect(formLabelled(page.body, 'Continue as <script>x</script>').fields.openid).to.equal(openidOf(emulator, '<script>x</script>'));
    });
  });

  describe('POST /connect/oauth2/authorize/choose', () => {
    it("picks a user: a 302 to the callback, and the wxemu_openid cookie on the emulator's origin", async () => {
      const { emulator, client } = await h.start();
      const url = authorizeUrl(client, 'snsapi_base');
      const form = formLabelled((await load(url)).body, 'Continue as Visitor');
      const answer = await post(emulator.url, form.action, form.fields);
      const { code, state, url: callback } = callbackOf(answer);
      expect(`${callback.origin}${callback.pathname}`).to.equal(CALLBACK);
      expect(state).to.equal(STATE);
      expect((await client.exchangeCode(code!)).openid).to.equal(openidOf(emulator, 'Visitor'));
      expect(phoneCookieOf(answer)).to.equal(openidOf(emulator, 'Visitor'));
      expect(answer.setCookie)
        .to.match(/path=\//i)
        .and.to.match(/httponly/i)
        .and.not.to.match(/domain=/i);
    });

    const creations: Array<[string, Record<string, string>, boolean]> = [
      ['nickname and subscribed=1 create a user who follows', { nickname: 'Newcomer', subscribed: '1' }, true],
      ['nickname alone creates a user who does not follow', { nickname: 'Newcomer' }, false],
      ['a unicode nickname works', { nickname: '小红', subscribed: '1' }, true],
    ];
    for (const [label, fields, follows] of creations) {
      it(`${label}`, async () => {
        const { emulator, client } = await h.start();
        const form = formLabelled((await load(authorizeUrl(client, 'snsapi_base'))).body, 'Create and continue');
        const answer = await post(emulator.url, form.action, { ...form.fields, ...fields });
        const created = emulator.findUser(fields.nickname!);
        expect(created?.subscribed).to.equal(follows);
        expect((await client.exchangeCode(callbackOf(answer).code!)).openid).to.equal(created!.openid);
        expect(phoneCookieOf(answer)).to.equal(created!.openid);
        expect(await subscribeOf(client, created!.openid)).to.equal(follows ? 1 : 0);
      });
    }

    const badNicknames: Array<[string, string]> = [
      ['empty', ''],
      ['blank', '   '],
      ['33 characters', 'x'.repeat(33)],
      ['with a control character', 'a\u0007b'],
      ['with a new line', 'a\nb'],
      ['taken', 'Band'],
      ['taken, with spaces around', ' Band '],
    ];
    for (const [label, nickname] of badNicknames) {
      it(`refuses a nickname that is ${label}: a 400 page, no user, no cookie`, async () => {
        const { emulator, client } = await h.start();
        const form = formLabelled((await load(authorizeUrl(client, 'snsapi_base'))).body, 'Create and continue');
        const answer = await post(emulator.url, form.action, { ...form.fields, nickname, subscribed: '1' });
        expectErrorPage(answer, '昵称错误');
        expect(phoneCookieOf(answer)).to.equal(undefined);
        expect(emulator.users().map((user) => user.nickname)).to.deep.equal(['Band', 'Visitor']);
      });
    }

    for (const path of [CHOOSE, CONSENT]) {
      it(`${path} answers a form over 64 KB (a 70,000-character nickname) with an error page, never a 500`, async () => {
        const { emulator, client } = await h.start();
        const fields = { q: queryOf(authorizeUrl(client, 'snsapi_base')), nickname: 'x'.repeat(70_000), decision: 'allow' };
        const answer = await post(emulator.url, path, fields);
        expect(answer.status, answer.body.slice(0, 200)).to.be.oneOf([400, 413]);
        expectErrorPage(answer, /./, answer.status);
        expect(emulator.users()).to.have.length(2);
      });
    }

    it('escapes the nickname it quotes on the error page', async () => {
      const { emulator, client } = await h.start();
      emulator.createUser({ nickname: '<b>taken</b>' });
      const form = formLabelled((await load(authorizeUrl(client, 'snsapi_base'))).body, 'Create and continue');
      const answer = await post(emulator.url, form.action, { ...form.fields, nickname: '<b>taken</b>' });
      expectErrorPage(answer, '昵称错误');
      expect(answer.body).to.contain('&lt;b&gt;taken&lt;/b&gt;').and.not.to.contain('<b>');
    });

    it('refuses an unknown openid with a 400 page', async () => {
      const { emulator, client } = await h.start();
      const answer = await post(emulator.url, CHOOSE, { q: queryOf(authorizeUrl(client, 'snsapi_base')), openid: 'oUnknownUnknownUnknownUnknow' });
      expectErrorPage(answer, '用户不存在');
    });

    it('checks the carried query again: a tampered q gets the error page', async () => {
      const { emulator, client } = await h.start();
      const q = queryOf(authorizeUrl(client, 'snsapi_base')).replace('localhost', 'evil.example.com');
      const answer = await post(emulator.url, CHOOSE, { q, openid: openidOf(emulator, 'Band') });
      expectErrorPage(answer, '10003 redirect_uri 域名与后台配置不一致');
      expect(phoneCookieOf(answer)).to.equal(undefined);
    });
  });

  describe('with the cookie', () => {
    it('snsapi_base is silent: a 302 straight to the callback', async () => {
      const { emulator, client } = await h.start();
      const answer = await load(authorizeUrl(client, 'snsapi_base'), { headers: phoneOf(openidOf(emulator, 'Visitor')) });
      expect((await client.exchangeCode(callbackOf(answer).code!)).openid).to.equal(openidOf(emulator, 'Visitor'));
    });

    it('snsapi_userinfo shows the consent sheet the first time, is silent after an allow, and asks again with forcePopup', async () => {
      const { emulator, client } = await h.start();
      const phone = phoneOf(openidOf(emulator, 'Band'));
      const url = authorizeUrl(client, 'snsapi_userinfo');
      const sheet = await load(url, { headers: phone });
      expect([sheet.status, sheet.location]).to.deep.equal([200, null]);
      expect(formsOf(sheet.body).map((form) => [form.action, form.fields.decision, form.fields.openid, form.fields.q])).to.deep.equal(
        ['allow', 'refuse', 'snapshot'].map((decision) => [CONSENT, decision, openidOf(emulator, 'Band'), queryOf(url)]),
      );
      const allowed = await post(emulator.url, CONSENT, formLabelled(sheet.body, 'Allow').fields);
      const granted = await client.exchangeCode(callbackOf(allowed).code!);
      expect([granted.openid, granted.scope]).to.deep.equal([openidOf(emulator, 'Band'), 'snsapi_userinfo']);
      expect((await client.fetchSnsUserInfo({ accessToken: granted.access_token, openid: granted.openid })).nickname).to.equal('Band');

      expect(callbackOf(await load(url, { headers: phone })).state).to.equal(STATE);
      const again = await load(authorizeUrl(client, 'snsapi_userinfo', {}, true), { headers: phone });
      expect([again.status, again.location]).to.deep.equal([200, null]);
      expect(formsOf(again.body).map((form) => form.fields.decision)).to.deep.equal(['allow', 'refuse', 'snapshot']);
    });

    it('a refusal on the sheet stays on a page, and the sheet shows again next time', async () => {
      const { emulator, client } = await h.start();
      const phone = phoneOf(openidOf(emulator, 'Band'));
      const url = authorizeUrl(client, 'snsapi_userinfo');
      const refused = await post(emulator.url, CONSENT, formLabelled((await load(url, { headers: phone })).body, 'Refuse').fields);
      expect([refused.status, refused.location, headingOf(refused.body)]).to.deep.equal([200, null, 'You refused']);
      expect(emulator.findUser('Band')!.consented).to.equal(false);
      expect((await load(url, { headers: phone })).status).to.equal(200);
    });

    it('a new user created on the picker with snsapi_userinfo still meets the consent sheet', async () => {
      const { emulator, client } = await h.start();
      const form = formLabelled((await load(authorizeUrl(client, 'snsapi_userinfo'))).body, 'Create and continue');
      const answer = await post(emulator.url, form.action, { ...form.fields, nickname: 'Newcomer' });
      expect([answer.status, answer.location]).to.deep.equal([200, null]);
      expect(formLabelled(answer.body, 'Allow').fields.openid).to.equal(openidOf(emulator, 'Newcomer'));
    });

    it('the consent sheet escapes the nickname it shows', async () => {
      const { emulator, client } = await h.start();
      const user = emulator.createUser({ nickname: '<img src=x onerror=alert(1)>' });
      const sheet = await load(authorizeUrl(client, 'snsapi_userinfo'), { headers: phoneOf(user.openid) });
      expect(sheet.body).to.contain('&lt;img src=x onerror=alert(1)&gt;');
      expect(sheet.body).not.to.contain('<img');
    });
  });

  describe('scripted: emulator_user after state', () => {
    it('picks an existing user silently, and keeps their follow state', async () => {
      const { emulator, client } = await h.start();
      const answer = await load(authorizeUrl(client, 'snsapi_base', { emulator_user: 'Visitor', emulator_subscribe: '1' }));
      expect((await client.exchangeCode(callbackOf(answer).code!)).openid).to.equal(openidOf(emulator, 'Visitor'));
      expect(phoneCookieOf(answer)).to.equal(openidOf(emulator, 'Visitor'));
      expect(emulator.findUser('Visitor')!.subscribed).to.equal(false);
      expect(emulator.users()).to.have.length(2);
    });

    const creations: Array<[string, Record<string, string>, boolean]> = [
      ['without emulator_subscribe', {}, false],
      ['with emulator_subscribe=0', { emulator_subscribe: '0' }, false],
      ['with emulator_subscribe=1', { emulator_subscribe: '1' }, true],
    ];
    for (const name of ['Newcomer', '小明']) {
      for (const [label, extra, follows] of creations) {
        it(`creates an unknown user ${JSON.stringify(name)} ${label}: ${follows ? 'a follower' : 'not a follower'}`, async () => {
          const { emulator, client } = await h.start();
          const answer = await load(authorizeUrl(client, 'snsapi_base', { emulator_user: name, ...extra }));
          const created = emulator.findUser(name);
          expect(created?.nickname).to.equal(name);
          expect(created!.subscribed).to.equal(follows);
          expect((await client.exchangeCode(callbackOf(answer).code!)).openid).to.equal(created!.openid);
          expect(await subscribeOf(client, created!.openid)).to.equal(follows ? 1 : 0);
        });
      }
    }

    const refusals: Array<[string, Record<string, string>]> = [
      ['emulator_subscribe=2', { emulator_user: 'Newcomer', emulator_subscribe: '2' }],
      ['emulator_subscribe without emulator_user', { emulator_subscribe: '1' }],
      ['emulator_consent without emulator_user', { emulator_consent: 'refuse' }],
      ['a name of 33 characters', { emulator_user: 'x'.repeat(33) }],
      ['a name with a control character', { emulator_user: 'a\u0000b' }],
      ['emulator_consent=maybe', { emulator_user: 'Band', emulator_consent: 'maybe' }],
      ['emulator_snapshot with snsapi_base', { emulator_user: 'Band', emulator_snapshot: '1' }],
    ];
    for (const [label, extra] of refusals) {
      it(`refuses ${label} with a 400 page and creates nobody`, async () => {
        const { emulator, client } = await h.start();
        expectErrorPage(await load(authorizeUrl(client, 'snsapi_base', extra)), '参数错误');
        expect(emulator.users()).to.have.length(2);
      });
    }

    it('refuses emulator_user before state (the order check)', async () => {
      const { emulator } = await h.start();
      const query = `appid=${emulator.appId}&redirect_uri=${encodeURIComponent(CALLBACK)}&response_type=code&scope=snsapi_base&emulator_user=Band&state=${STATE}`;
      expectErrorPage(await load(`${emulator.url}/connect/oauth2/authorize?${query}`), '参数错误');
    });
  });

  describe('snapshot mode', () => {
    async function expectSnapshotCode(emulator: Emulator, client: WeChatClient, code: string): Promise<void> {
      const granted = await client.exchangeCode(code);
      expect(granted.is_snapshotuser).to.equal(1);
      expect(granted.scope).to.equal('snsapi_userinfo');
      expect(emulator.users().map((user) => user.openid)).not.to.include(granted.openid);
      expect(granted.openid).to.match(/^[A-Za-z0-9_-]{28}$/);
      const error = await rejectionOf(client.fetchSnsUserInfo({ accessToken: granted.access_token, openid: granted.openid }));
      expect(error).to.be.instanceOf(WeChatApiError);
      expect((error as WeChatApiError).errcode).to.equal(48001);
    }

    it('emulator_snapshot=1 with snsapi_userinfo gives a code of a virtual user whose profile cannot be read', async () => {
      const { emulator, client } = await h.start();
      const answer = await load(authorizeUrl(client, 'snsapi_userinfo', { emulator_user: 'Band', emulator_snapshot: '1' }));
      await expectSnapshotCode(emulator, client, callbackOf(answer).code!);
    });

    it("the consent sheet's decision=snapshot does the same", async () => {
      const { emulator, client } = await h.start();
      const sheet = await load(authorizeUrl(client, 'snsapi_userinfo'), { headers: phoneOf(openidOf(emulator, 'Band')) });
      const answer = await post(emulator.url, CONSENT, formLabelled(sheet.body, 'snapshot').fields);
      await expectSnapshotCode(emulator, client, callbackOf(answer).code!);
    });

    it('is not a consent: the sheet shows again after a snapshot visit', async () => {
      const { emulator, client } = await h.start();
      const phone = phoneOf(openidOf(emulator, 'Band'));
      const sheet = await load(authorizeUrl(client, 'snsapi_userinfo'), { headers: phone });
      callbackOf(await post(emulator.url, CONSENT, formLabelled(sheet.body, 'snapshot').fields));
      expect((await load(authorizeUrl(client, 'snsapi_userinfo'), { headers: phone })).status).to.equal(200);
    });
  });

  describe("the forms' defences", () => {
    const crossSite: Array<[string, Record<string, string>]> = [
      ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
      ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site' }],
      ['an Origin of another site', { origin: 'http://evil.example.com' }],
      ['an Origin of another port', { origin: 'http://127.0.0.1:1' }],
    ];
    for (const path of [CHOOSE, CONSENT]) {
      for (const [label, headers] of crossSite) {
        it(`${path} refuses a POST with ${label}: 403, nothing done`, async () => {
          const { emulator, client } = await h.start();
          const fields = {
            q: queryOf(authorizeUrl(client, 'snsapi_userinfo')),
            openid: openidOf(emulator, 'Band'),
            nickname: 'Intruder',
            decision: 'allow',
          };
          const answer = await post(emulator.url, path, fields, headers);
          expectErrorPage(answer, '禁止访问', 403);
          expect(phoneCookieOf(answer)).to.equal(undefined);
          expect(emulator.findUser('Band')!.consented).to.equal(false);
        });
      }

      it(`${path} takes a POST from the emulator's own origin`, async () => {
        const { emulator, client } = await h.start();
        const fields = { q: queryOf(authorizeUrl(client, 'snsapi_base')), openid: openidOf(emulator, 'Band'), decision: 'allow' };
        const answer = await post(emulator.url, path, fields, { origin: emulator.url, 'sec-fetch-site': 'same-origin' });
        expect(callbackOf(answer).state).to.equal(STATE);
      });

      for (const method of ['GET', 'PUT']) {
        it(`${path} answers ${method} with 405`, async () => {
          const { emulator, client } = await h.start();
          const q = encodeURIComponent(queryOf(authorizeUrl(client, 'snsapi_base')));
          const answer = await load(`${emulator.url}${path}?q=${q}&openid=${openidOf(emulator, 'Band')}&decision=allow`, { method });
          expectErrorPage(answer, '请求方式错误', 405);
          expect(phoneCookieOf(answer)).to.equal(undefined);
        });
      }
    }

    it('refuses an unknown decision on the consent form', async () => {
      const { emulator, client } = await h.start();
      const q = queryOf(authorizeUrl(client, 'snsapi_userinfo'));
      expectErrorPage(await post(emulator.url, CONSENT, { q, openid: openidOf(emulator, 'Band'), decision: 'yes' }), '参数错误');
      expect(emulator.findUser('Band')!.consented).to.equal(false);
    });
  });

  describe('subscribe pushes for users created on the phone', () => {
    let receiver: Server | undefined;
    let received: Array<{ url: string; body: string }> = [];
    afterEach(async () => {
      await new Promise((resolve) => (receiver === undefined ? resolve(undefined) : receiver.close(resolve)));
      receiver = undefined;
      received = [];
    });

    async function startReceiver(): Promise<string> {
      const server = createServer((request: IncomingMessage, response) => {
        let body = '';
        request.setEncoding('utf8');
        request.on('data', (chunk: string) => (body += chunk));
        request.on('end', () => {
          received.push({ url: request.url ?? '', body });
          response.end('success');
        });
      });
      receiver = server;
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/wechat/events`;
    }

    it('sends none without a push URL', async () => {
      const { emulator, client } = await h.start();
      const form = formLabelled((await load(authorizeUrl(client, 'snsapi_base'))).body, 'Create and continue');
      callbackOf(await post(emulator.url, form.action, { ...form.fields, nickname: 'Newcomer', subscribed: '1' }));
      callbackOf(await load(authorizeUrl(client, 'snsapi_base', { emulator_user: 'Scripted', emulator_subscribe: '1' })));
      await emulator.pushesSettled();
      expect(emulator.findUser('Newcomer')!.subscribed).to.equal(true);
      expect(emulator.pushes()).to.deep.equal([]);
    });

    it('sends a subscribe push for a follower created on the picker, and none for a non-follower', async () => {
      const url = await startReceiver();
      const { emulator, client } = await h.start({ push: { url, token: 'pushToken123' } });
      const form = formLabelled((await load(authorizeUrl(client, 'snsapi_base'))).body, 'Create and continue');
      callbackOf(await post(emulator.url, form.action, { ...form.fields, nickname: 'Follower', subscribed: '1' }));
      callbackOf(await post(emulator.url, form.action, { ...form.fields, nickname: 'Lurker' }));
      await emulator.pushesSettled();
      const follower = openidOf(emulator, 'Follower');
      expect(emulator.pushes().map((push) => [push.event, push.openid, push.outcome])).to.deep.equal([['subscribe', follower, 'delivered']]);
      expect(received).to.have.length(1);
      expect(received[0]!.body)
        .to.contain(`<FromUserName><![CDATA[${follower}]]></FromUserName>`)
        .and.to.contain('<Event><![CDATA[subscribe]]></Event>');
    });

    it('sends a subscribe push for a follower created by emulator_user and emulator_subscribe=1', async () => {
      const url = await startReceiver();
      const { emulator, client } = await h.start({ push: { url, token: 'pushToken123' } });
      callbackOf(await load(authorizeUrl(client, 'snsapi_base', { emulator_user: 'Scripted', emulator_subscribe: '1' })));
      callbackOf(await load(authorizeUrl(client, 'snsapi_base', { emulator_user: 'Band', emulator_subscribe: '1' })));
      await emulator.pushesSettled();
      expect(emulator.pushes().map((push) => [push.event, push.openid])).to.deep.equal([['subscribe', openidOf(emulator, 'Scripted')]]);
    });
  });
});
