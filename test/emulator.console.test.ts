/**
 * The emulator's console: the page, the call counters, the recent requests (never a secret), the control API
 * behind the page's buttons, the avatars, and the validation of `createEmulator`'s options.
 */
import { expect } from 'chai';
import { createEmulator, type Emulator, type EmulatorOptions } from '../lib/emulator/index.js';
import { API_ENDPOINTS } from '../lib/emulator/routes/api.js';
import { FAULT_KINDS } from '../lib/emulator/state/faults.js';
import { jsonOf, leakedIn, send, type RawRequest, type RawResponse } from './support/console-http.js';
import { authorizeAs, codeOf, useEmulator } from './support/emulator.js';

const FORM = 'application/x-www-form-urlencoded';

/** A POST to the control API, as a script sends it (JSON) or as the page's buttons do (a form, from the same origin). */
function control(
  emulator: Emulator,
  action: string,
  fields: Record<string, unknown> = {},
  options: { form?: boolean; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const body = options.form === true ? new URLSearchParams(fields as Record<string, string>).toString() : JSON.stringify(fields);
  const headers = { 'content-type': options.form === true ? FORM : 'application/json', ...options.headers };
  return send(emulator.url, { method: 'POST', path: `/emulator/api/${action}`, body, headers });
}

/** The headers a browser adds to a form posted from the console itself. */
const sameOrigin = (emulator: Emulator): Record<string, string> => ({ origin: emulator.url, 'sec-fetch-site': 'same-origin' });

async function consolePage(emulator: Emulator): Promise<string> {
  const response = await send(emulator.url, { path: '/emulator' });
  expect(response.status).to.equal(200);
  expect(response.headers['content-type']).to.equal('text/html; charset=utf-8');
  return response.text;
}

async function stateOf(emulator: Emulator): Promise<{ text: string; body: ReturnType<Emulator['snapshot']> }> {
  const response = await send(emulator.url, { path: '/emulator/api/state' });
  expect(response.status).to.equal(200);
  return { text: response.text, body: jsonOf(response) as ReturnType<Emulator['snapshot']> };
}

/** The console's entry for one user: the `<li>` of the users list that shows this openid. */
function userEntry(page: string, openid: string): string {
  const list = /<ul class="users">([\s\S]*?)<\/ul>/.exec(page)?.[1] ?? '';
  const entry = list.split('<li>').find((item) => item.includes(`<code>${openid}</code>`));
  if (entry === undefined) throw new Error(`the console does not list ${openid}`);
  return entry;
}

/** A form of the page: its action and hidden fields, to submit as the browser would. */
function formOf(html: string): { action: string; fields: Record<string, string> } {
  const form = /<form method="post" action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(html);
  if (form === null) throw new Error(`no form in ${html}`);
  const fields = Object.fromEntries(
    [...form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((input) => [input[1]!, input[2]!]),
  );
  return { action: form[1]!, fields };
}

/** The call, raw: `GET path?query` with these parameters. */
function get(emulator: Emulator, path: string, params: Record<string, string> = {}): Promise<RawResponse> {
  const query = new URLSearchParams(params).toString();
  return send(emulator.url, { path: query === '' ? path : `${path}?${query}` });
}

function errcodeOf(response: RawResponse): number {
  return (jsonOf(response) as { errcode?: number }).errcode ?? 0;
}

describe('the emulator console', () => {
  const h = useEmulator();

  describe('the page', () => {
    it('GET / redirects to /emulator', async () => {
      const { emulator } = await h.start();
      const response = await send(emulator.url, { path: '/' });
      expect(response.status).to.equal(302);
      expect(response.headers.location).to.equal('/emulator');
    });

    it('lists each user with nickname, openid and whether they follow, with the matching button', async () => {
      const { emulator } = await h.start();
      const page = await consolePage(emulator);
      const band = emulator.findUser('Band')!;
      const visitor = emulator.findUser('Visitor')!;
      const bandEntry = userEntry(page, band.openid);
      expect(bandEntry).to.include('<strong>Band</strong>').and.include('>follows<').and.not.include('does not follow');
      expect(formOf(bandEntry)).to.deep.equal({ action: '/emulator/api/unfollow', fields: { openid: band.openid } });
      const visitorEntry = userEntry(page, visitor.openid);
      expect(visitorEntry).to.include('<strong>Visitor</strong>').and.include('>does not follow<');
      expect(formOf(visitorEntry)).to.deep.equal({ action: '/emulator/api/follow', fields: { openid: visitor.openid } });
    });

    it('its follow and unfollow buttons change the user and come back to the page', async () => {
      const { emulator } = await h.start();
      const visitor = emulator.findUser('Visitor')!;
      const follow = formOf(userEntry(await consolePage(emulator), visitor.openid));
      const followed = await send(emulator.url, {
        method: 'POST',
        path: follow.action,
        body: new URLSearchParams(follow.fields).toString(),
        headers: { 'content-type': FORM, ...sameOrigin(emulator) },
      });
      expect(followed.status).to.equal(302);
      expect(followed.headers.location).to.equal('/emulator');
      expect(emulator.findUser('Visitor')!.subscribed).to.be.true;

      const unfollow = formOf(userEntry(await consolePage(emulator), visitor.openid));
      expect(unfollow.action).to.equal('/emulator/api/unfollow');
      const unfollowed = await send(emulator.url, {
        method: 'POST',
        path: unfollow.action,
        body: new URLSearchParams(unfollow.fields).toString(),
        headers: { 'content-type': FORM, ...sameOrigin(emulator) },
      });
      expect(unfollowed.status).to.equal(302);
      expect(emulator.findUser('Visitor')!.subscribed).to.be.false;
    });

    it('has counters per endpoint, recent requests, fault controls and a revoke-token button', async () => {
      const { emulator } = await h.start();
      await get(emulator, '/cgi-bin/user/get');
      emulator.injectFault('/cgi-bin/token', 'busy', 2);
      const page = await consolePage(emulator);
      expect(page).to.include('<tr><td><code>/cgi-bin/user/get</code></td><td>1</td></tr>');
      expect(page).to.match(/<td><code>GET \/cgi-bin\/user\/get<\/code><\/td><td>errcode 41001<\/td>/);
      expect(page).to.include('<form method="post" action="/emulator/api/faults"');
      for (const endpoint of API_ENDPOINTS) expect(page).to.include(`<option value="${endpoint.path}">`);
      for (const kind of FAULT_KINDS) expect(page).to.include(`<option value="${kind}">`);
      expect(page).to.include('<code>/cgi-bin/token</code>: busy × 2');
      expect(page).to.include('<form method="post" action="/emulator/api/faults/clear"');
      expect(page).to.include('<form method="post" action="/emulator/api/revoke-token"');
      expect(page).to.include('<form method="post" action="/emulator/api/counters/reset"');
    });
  });

  describe('counters', () => {
    it('count each call of each endpoint, in calls(), counters(), the state and the page', async () => {
      const { emulator, client } = await h.start();
      const repeat = async (times: number, call: () => Promise<unknown>): Promise<void> => {
        for (let i = 0; i < times; i++) await call();
      };
      const token = (await client.fetchClassicToken()).access_token;
      await repeat(2, () => client.fetchClassicToken());
      await repeat(2, () => client.fetchStableToken());
      const grants = [];
      for (let i = 0; i < 2; i++) grants.push(await client.exchangeCode(codeOf(await authorizeAs(client, 'Band', { scope: 'snsapi_userinfo' }))));
      const grant = grants[0]!;
      await client.fetchSnsUserInfo({ accessToken: grant.access_token, openid: grant.openid });
      await repeat(4, () => client.fetchUserInfo({ accessToken: token, openid: grant.openid }));
      await client.fetchUserInfoBatch({ accessToken: token, openids: [grant.openid] });
      await repeat(5, () =>
        get(emulator, '/sns/oauth2/refresh_token', { appid: emulator.appId, grant_type: 'refresh_token', refresh_token: grant.refresh_token }),
      );
      await repeat(6, () => get(emulator, '/sns/auth', { access_token: grant.access_token, openid: grant.openid }));
      await repeat(7, () => get(emulator, '/cgi-bin/user/get', { access_token: token }));

      const expected = {
        '/cgi-bin/stable_token': 2,
        '/cgi-bin/token': 3,
        '/cgi-bin/user/get': 7,
        '/cgi-bin/user/info': 4,
        '/cgi-bin/user/info/batchget': 1,
        '/connect/oauth2/authorize': 2,
        '/sns/auth': 6,
        '/sns/oauth2/access_token': 2,
        '/sns/oauth2/refresh_token': 5,
        '/sns/userinfo': 1,
      };
      expect(emulator.counters()).to.deep.equal(expected);
      expect((await stateOf(emulator)).body.counters).to.deep.equal(expected);
      const page = await consolePage(emulator);
      for (const [path, count] of Object.entries(expected)) {
        expect(emulator.calls(path), path).to.equal(count);
        expect(page).to.include(`<tr><td><code>${path}</code></td><td>${count}</td></tr>`);
      }
    });

    it('count faulted calls too', async () => {
      const { emulator } = await h.start();
      emulator.injectFault('/cgi-bin/user/get', 'busy', 2);
      emulator.injectFault('/sns/auth', 'html500');
      emulator.injectFault('/cgi-bin/token', 'reset');
      expect((await Promise.all([1, 2, 3].map(() => get(emulator, '/cgi-bin/user/get')))).map(errcodeOf).sort()).to.deep.equal([-1, -1, 41001]);
      expect((await get(emulator, '/sns/auth')).status).to.equal(500);
      const cut = await get(emulator, '/cgi-bin/token').then(
        () => 'answered',
        () => 'cut',
      );
      expect(cut).to.equal('cut');
      expect(emulator.counters()).to.deep.equal({ '/cgi-bin/token': 1, '/cgi-bin/user/get': 3, '/sns/auth': 1 });
      expect((await stateOf(emulator)).body.counters).to.deep.equal(emulator.counters());
    });

    const resets: Array<[string, (emulator: Emulator) => Promise<unknown>]> = [
      ['resetCounters()', (emulator) => Promise.resolve(emulator.resetCounters())],
      [
        'POST /emulator/api/counters/reset',
        async (emulator) => {
          const response = await control(emulator, 'counters/reset');
          expect(response.status).to.equal(200);
          expect(jsonOf(response)).to.deep.equal({ ok: true });
        },
      ],
      [
        "the page's Reset counters button",
        async (emulator) => {
          const button = formOf(
            /<form method="post" action="\/emulator\/api\/counters\/reset"[\s\S]*?<\/form>/.exec(await consolePage(emulator))![0],
          );
          const response = await send(emulator.url, {
            method: 'POST',
            path: button.action,
            body: '',
            headers: { 'content-type': FORM, ...sameOrigin(emulator) },
          });
          expect(response.status).to.equal(302);
        },
      ],
    ];
    for (const [label, reset] of resets) {
      it(`${label} zeroes every counter, and counting starts again from zero`, async () => {
        const { emulator, client } = await h.start();
        await client.fetchClassicToken();
        await get(emulator, '/cgi-bin/user/get');
        await authorizeAs(client, 'Band');
        expect(Object.keys(emulator.counters())).to.have.length(3);
        await reset(emulator);
        expect(emulator.counters()).to.deep.equal({});
        expect(emulator.calls('/cgi-bin/token')).to.equal(0);
        expect((await stateOf(emulator)).body.counters).to.deep.equal({});
        expect(await consolePage(emulator)).to.include('No calls yet.');
        await get(emulator, '/cgi-bin/user/get');
        expect(emulator.counters()).to.deep.equal({ '/cgi-bin/user/get': 1 });
      });
    }
  });

  describe('recent requests', () => {
    /** Where the recent requests show. */
    async function views(emulator: Emulator): Promise<Array<[string, string]>> {
      return [
        ['requests()', JSON.stringify(emulator.requests())],
        ['GET /emulator/api/state', (await stateOf(emulator)).text],
        ['the console page', await consolePage(emulator)],
      ];
    }

    it('never show the app secret, a token, a code or a refresh token, but *** in their place', async () => {
      const { emulator, client } = await h.start();
      const classic = (await client.fetchClassicToken()).access_token;
      const stable = (await client.fetchStableToken()).access_token;
      const code = codeOf(await authorizeAs(client, 'Band', { scope: 'snsapi_userinfo' }));
      const grant = await client.exchangeCode(code);
      // The same code again: a refused call still carries it.
      expect(
        errcodeOf(
          await get(emulator, '/sns/oauth2/access_token', {
            appid: emulator.appId,
            secret: emulator.appSecret,
            code,
            grant_type: 'authorization_code',
          }),
        ),
      ).to.equal(40163);
      await client.fetchSnsUserInfo({ accessToken: grant.access_token, openid: grant.openid });
      await client.fetchUserInfo({ accessToken: classic, openid: grant.openid });
      await client.fetchUserInfoBatch({ accessToken: stable, openids: [grant.openid] });
      const refreshed = jsonOf(
        await get(emulator, '/sns/oauth2/refresh_token', { appid: emulator.appId, grant_type: 'refresh_token', refresh_token: grant.refresh_token }),
      ) as { access_token: string };
      await get(emulator, '/sns/auth', { access_token: refreshed.access_token, openid: grant.openid });

      const secrets = [emulator.appSecret, classic, stable, code, grant.access_token, grant.refresh_token, refreshed.access_token];
      for (const [where, text] of await views(emulator)) expect(leakedIn(text, secrets), where).to.deep.equal([]);
      const urls = emulator.requests().map((call) => call.url);
      expect(urls).to.have.length(10);
      for (const masked of ['secret=***', 'code=***', 'access_token=***', 'refresh_token=***']) {
        expect(
          urls.some((url) => url.includes(masked)),
          masked,
        ).to.be.true;
      }
      expect(await consolePage(emulator)).to.include('secret=***');
    });

    it('mask a secret or a token sent under a percent-encoded name, which the emulator accepts all the same', async () => {
      const { emulator } = await h.start();
      const issued = await send(emulator.url, {
        path: `/cgi-bin/token?grant_type=client_credential&appid=${emulator.appId}&s%65cret=${emulator.appSecret}`,
      });
      const token = (jsonOf(issued) as { access_token: string }).access_token;
      expect(token, issued.text).to.be.a('string');
      const info = await send(emulator.url, { path: `/cgi-bin/user/info?access%5Ftoken=${token}&openid=${emulator.findUser('Band')!.openid}` });
      expect(jsonOf(info)).to.have.property('subscribe', 1);
      for (const [where, text] of await views(emulator)) expect(leakedIn(text, [emulator.appSecret, token]), where).to.deep.equal([]);
    });
  });

  describe('the control API', () => {
    it('POST /emulator/api/users with JSON creates the user and answers 201 with it', async () => {
      const { emulator } = await h.start();
      const response = await control(emulator, 'users', { nickname: 'Neo', subscribed: true });
      expect(response.status).to.equal(201);
      const user = jsonOf(response) as { nickname: string; openid: string; subscribed: boolean };
      expect(user).to.include({ nickname: 'Neo', subscribed: true });
      expect(user.openid).to.match(/^o[A-Za-z0-9_-]{27}$/);
      expect(JSON.parse(JSON.stringify(emulator.findUser('Neo')))).to.deep.equal(user);
    });

    it("POST /emulator/api/users with the page's form creates the user and redirects to /emulator", async () => {
      const { emulator } = await h.start();
      for (const [nickname, fields, subscribed] of [
        ['Trinity', { subscribed: '1' }, true],
        ['Morpheus', {}, false],
      ] as const) {
        const response = await control(emulator, 'users', { nickname, ...fields }, { form: true, headers: sameOrigin(emulator) });
        expect(response.status).to.equal(302);
        expect(response.headers.location).to.equal('/emulator');
        expect(emulator.findUser(nickname)?.subscribed, nickname).to.equal(subscribed);
      }
    });

    it('POST /emulator/api/faults plans faults that the endpoint then answers', async () => {
      const { emulator } = await h.start();
      const response = await control(emulator, 'faults', { endpoint: '/cgi-bin/user/get', kind: 'busy', times: 2 });
      expect(response.status).to.equal(200);
      expect(emulator.snapshot().faults).to.deep.equal([{ endpoint: '/cgi-bin/user/get', kind: 'busy', remaining: 2 }]);
      const errcodes = [];
      for (let i = 0; i < 3; i++) errcodes.push(errcodeOf(await get(emulator, '/cgi-bin/user/get')));
      expect(errcodes).to.deep.equal([-1, -1, 41001]);
    });

    const badFaults: Array<[string, Record<string, unknown>, RegExp]> = [
      ['an unknown endpoint', { endpoint: '/cgi-bin/nope', kind: 'busy' }, /unknown endpoint "\/cgi-bin\/nope"/],
      ['an unknown kind', { endpoint: '/cgi-bin/token', kind: 'explode' }, /fault kind must be one of busy, quota, html500, hang, reset/],
      ['no endpoint', { kind: 'busy' }, /"endpoint" is required/],
      ['times of 0', { endpoint: '/cgi-bin/token', kind: 'busy', times: 0 }, /times must be/],
    ];
    for (const [label, fields, message] of badFaults) {
      it(`POST /emulator/api/faults with ${label} answers 400 JSON that says so, and plans nothing`, async () => {
        const { emulator } = await h.start();
        const response = await control(emulator, 'faults', fields);
        expect(response.status).to.equal(400);
        expect(response.headers['content-type']).to.match(/^application\/json/);
        expect((jsonOf(response) as { error: string }).error).to.match(message);
        expect(emulator.snapshot().faults).to.deep.equal([]);
      });
    }

    it('POST /emulator/api/faults/clear drops every planned fault', async () => {
      const { emulator } = await h.start();
      emulator.injectFault('*', 'busy', 5);
      emulator.injectFault('/cgi-bin/user/get', 'html500', 5);
      expect((await control(emulator, 'faults/clear')).status).to.equal(200);
      expect(emulator.snapshot().faults).to.deep.equal([]);
      expect(errcodeOf(await get(emulator, '/cgi-bin/user/get'))).to.equal(41001);
    });

    it('POST /emulator/api/revoke-token kills the current token: it then gets 40001', async () => {
      const { emulator, client } = await h.start();
      const token = (await client.fetchClassicToken()).access_token;
      const openid = emulator.findUser('Band')!.openid;
      expect(errcodeOf(await get(emulator, '/cgi-bin/user/info', { access_token: token, openid }))).to.equal(0);
      const response = await control(emulator, 'revoke-token');
      expect(response.status).to.equal(200);
      expect(jsonOf(response)).to.deep.equal({ revoked: 1 });
      expect(errcodeOf(await get(emulator, '/cgi-bin/user/info', { access_token: token, openid }))).to.equal(40001);
    });

    it('POST /emulator/api/clock ages the tokens: 7199 s later a token works, 7201 s later it gets 42001', async () => {
      const { emulator, client } = await h.start();
      const token = (await client.fetchClassicToken()).access_token;
      const openid = emulator.findUser('Band')!.openid;
      expect((await control(emulator, 'clock', { advance: 7199 })).status).to.equal(200);
      expect(errcodeOf(await get(emulator, '/cgi-bin/user/info', { access_token: token, openid }))).to.equal(0);
      expect((await control(emulator, 'clock', { advance: 2 })).status).to.equal(200);
      expect(errcodeOf(await get(emulator, '/cgi-bin/user/info', { access_token: token, openid }))).to.equal(42001);
    });

    it('POST /emulator/api/switches turns the double redirect on and off', async () => {
      const { emulator, client } = await h.start();
      const authorize = async (): Promise<RawResponse> => {
        const url = client
          .authorizeUrl({ redirectUri: 'http://localhost:3000/wechat/callback', state: 'abc', scope: 'snsapi_base' })
          .replace('#wechat_redirect', '&emulator_user=Band');
        return send(emulator.url, { path: url.slice(emulator.url.length) });
      };
      const on = await control(emulator, 'switches', { doubleRedirect: true });
      expect(on.status).to.equal(200);
      expect(jsonOf(on)).to.deep.equal({ doubleRedirect: true, onRefuse: 'stay' });
      const twice = await authorize();
      expect(twice.status).to.equal(200);
      expect(twice.text).to.include('Calling the site back twice');
      await control(emulator, 'switches', { doubleRedirect: false });
      expect((await authorize()).status).to.equal(302);
    });

    it('POST /emulator/api/phone/forget clears the wxemu_openid cookie', async () => {
      const { emulator, client } = await h.start();
      const url = client
        .authorizeUrl({ redirectUri: 'http://localhost:3000/wechat/callback', state: 'abc', scope: 'snsapi_base' })
        .replace('#wechat_redirect', '&emulator_user=Band');
      const remembered = await send(emulator.url, { path: url.slice(emulator.url.length) });
      expect(remembered.headers['set-cookie']?.join()).to.include(`wxemu_openid=${emulator.findUser('Band')!.openid}`);
      const response = await control(emulator, 'phone/forget', {}, { headers: { cookie: `wxemu_openid=${emulator.findUser('Band')!.openid}` } });
      expect(response.status).to.equal(200);
      const cleared = response.headers['set-cookie']?.find((cookie) => cookie.startsWith('wxemu_openid='));
      expect(cleared).to.match(/^wxemu_openid=;/);
      expect(cleared).to.match(/expires=Thu, 01 Jan 1970 00:00:00 GMT/i);
    });

    const malformed: Array<[string, RawRequest, number, RegExp]> = [
      [
        'a body that is not JSON',
        { method: 'POST', path: '/emulator/api/users', body: 'nickname: Neo', headers: { 'content-type': 'application/json' } },
        400,
        /expected a JSON object body/,
      ],
      [
        'a JSON array',
        { method: 'POST', path: '/emulator/api/users', body: '[{"nickname":"Neo"}]', headers: { 'content-type': 'application/json' } },
        400,
        /expected a JSON object body/,
      ],
      ['GET on an action', { path: '/emulator/api/users' }, 405, /takes POST/],
      ['GET on revoke-token', { path: '/emulator/api/revoke-token' }, 405, /takes POST/],
    ];
    for (const [label, request, status, message] of malformed) {
      it(`${label} answers ${status} JSON, and changes nothing`, async () => {
        const { emulator } = await h.start();
        const before = emulator.users();
        const response = await send(emulator.url, request);
        expect(response.status).to.equal(status);
        expect(response.headers['content-type']).to.match(/^application\/json/);
        expect((jsonOf(response) as { error: string }).error).to.match(message);
        expect(emulator.users()).to.deep.equal(before);
      });
    }

    describe('refuses a post from another site (403) and changes nothing', () => {
      /** What an action could change, clock aside. */
      const digest = (emulator: Emulator): string => {
        const { users, counters, faults, switches, tokens } = emulator.snapshot();
        return JSON.stringify({ users, counters, faults, switches, tokens: tokens.map(({ kind, current }) => ({ kind, current })) });
      };
      const ACTIONS: Array<[string, Record<string, string>]> = [
        ['users', { nickname: 'Mallory', subscribed: '1' }],
        ['follow', { nickname: 'Visitor' }],
        ['unfollow', { nickname: 'Band' }],
        ['faults', { endpoint: '*', kind: 'hang' }],
        ['faults/clear', {}],
        ['revoke-token', {}],
        ['clock', { advance: '7201' }],
        ['counters/reset', {}],
        ['switches', { doubleRedirect: 'true' }],
        ['phone/forget', {}],
      ];
      const SITES: Array<[string, Record<string, string>]> = [
        ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
        ['Origin: http://evil.example', { origin: 'http://evil.example' }],
      ];
      for (const [action, fields] of ACTIONS) {
        for (const [site, headers] of SITES) {
          for (const form of [false, true]) {
            it(`${action}, ${form ? 'as a form' : 'as JSON'}, with ${site}`, async () => {
              const { emulator, client } = await h.start();
              await client.fetchClassicToken();
              emulator.injectFault('/cgi-bin/user/get', 'busy', 5);
              const before = digest(emulator);
              const clock = emulator.snapshot().now;
              const response = await control(emulator, action, fields, { form, headers });
              expect(response.status).to.equal(403);
              expect(response.headers['set-cookie']).to.be.undefined;
              expect(digest(emulator)).to.equal(before);
              expect(emulator.snapshot().now - clock).to.be.below(60_000);
            });
          }
        }
      }

      it('while the same post from the console itself goes through', async () => {
        const { emulator } = await h.start();
        const response = await control(emulator, 'users', { nickname: 'Mallory' }, { headers: sameOrigin(emulator) });
        expect(response.status).to.equal(201);
        expect(emulator.findUser('Mallory')).not.to.be.undefined;
      });
    });
  });

  describe('avatars', () => {
    it('/emulator/avatar/<openid>/132 is an SVG for a known user, 404 for an unknown one', async () => {
      const { emulator } = await h.start();
      const known = await send(emulator.url, { path: `/emulator/avatar/${emulator.findUser('Band')!.openid}/132` });
      expect(known.status).to.equal(200);
      expect(known.headers['content-type']).to.match(/^image\/svg\+xml/);
      expect(known.text).to.match(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*>B<\/text><\/svg>$/);
      const unknown = await send(emulator.url, { path: '/emulator/avatar/oNobodyHasThisOpenid0000000x/132' });
      expect(unknown.status).to.equal(404);
    });

    const NICKNAMES: Array<[string, string, string]> = [
      ['<b>', '&lt;b&gt;', '&lt;'],
      ['"><img src=x onerror=alert(1)>', '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;', '&quot;'],
      ["'&x", '&#39;&amp;x', '&#39;'],
    ];
    for (const [nickname, escaped, letter] of NICKNAMES) {
      it(`escapes the nickname ${nickname} in the SVG and on the console page`, async () => {
        const { emulator } = await h.start();
        const user = emulator.createUser({ nickname });
        const svg = await send(emulator.url, { path: `/emulator/avatar/${user.openid}/132` });
        expect(svg.status).to.equal(200);
        expect(/<text [^>]*>([^<]*)<\/text><\/svg>$/.exec(svg.text)?.[1]).to.equal(letter);
        const page = await consolePage(emulator);
        expect(userEntry(page, user.openid)).to.include(`<strong>${escaped}</strong>`);
        expect(page).not.to.include(nickname);
      });
    }
  });

  describe('createEmulator validates its options', () => {
    const BAD: Array<[string, EmulatorOptions, string]> = [
      ['an appId that is not wx and 16 hex digits', { appId: 'wx123' }, 'appId'],
      ['an appId in capitals', { appId: 'WX0123456789ABCDEF' }, 'appId'],
      ['an appSecret with a space', { appSecret: 'e1a7e0c0 ffee5ecre7' }, 'appSecret'],
      ['an appSecret with a trailing newline', { appSecret: 'e1a7e0c0ffee5ecre7\n' }, 'appSecret'],
      ['an empty appSecret', { appSecret: '' }, 'appSecret'],
      ['tokenOverlap equal to tokenLifetime', { tokenLifetime: 600, tokenOverlap: 600 }, 'tokenOverlap'],
      ['tokenOverlap longer than tokenLifetime', { tokenLifetime: 600, tokenOverlap: 601 }, 'tokenOverlap'],
      ['tokenOverlap equal to the default lifetime', { tokenOverlap: 7200 }, 'tokenOverlap'],
      ['two users with one nickname', { users: [{ nickname: 'Ann' }, { nickname: 'Ann' }] }, 'users[1].nickname'],
      ['two users whose nicknames differ by spaces only', { users: [{ nickname: 'Ann' }, { nickname: ' Ann ' }] }, 'users[1].nickname'],
      ['an oauthDomains entry with a scheme', { oauthDomains: ['http://localhost'] }, 'oauthDomains'],
      ['an oauthDomains entry with a path', { oauthDomains: ['localhost/wechat'] }, 'oauthDomains'],
      ['an oauthDomains entry with a wildcard', { oauthDomains: ['*.example.com'] }, 'oauthDomains'],
      ['an empty oauthDomains entry', { oauthDomains: [''] }, 'oauthDomains'],
      ['an oauthDomains entry with a port past 65535', { oauthDomains: ['localhost:99999'] }, 'oauthDomains'],
      ['a fractional followersPageSize', { followersPageSize: 1.5 }, 'followersPageSize'],
      ['a followersPageSize given as a string', { followersPageSize: '10' as unknown as number }, 'followersPageSize'],
      ['a followersPageSize of 0', { followersPageSize: 0 }, 'followersPageSize'],
      ['a followersPageSize over 10000', { followersPageSize: 10_001 }, 'followersPageSize'],
      ['an unknown onRefuse', { onRefuse: 'bounce' as 'stay' }, 'onRefuse'],
    ];
    for (const [label, options, name] of BAD) {
      it(`throws a TypeError naming "${name}" for ${label}`, () => {
        expect(() => createEmulator(options)).to.throw(TypeError, `option "${name}"`);
      });
    }

    it('never repeats a rejected appSecret in the message', () => {
      const secret = 'e1a7e0c0ffee 5ecre7000000000e1a7e';
      expect(() => createEmulator({ appSecret: secret }))
        .to.throw(TypeError)
        .with.property('message')
        .that.does.not.include('e1a7e0c0ffee');
    });

    const GOOD: Array<[string, EmulatorOptions]> = [
      ['tokenOverlap just under tokenLifetime', { tokenLifetime: 600, tokenOverlap: 599 }],
      ['a followersPageSize of 1', { followersPageSize: 1 }],
      ['an oauthDomains entry with a port', { oauthDomains: ['www.example.com:8080'] }],
      ['two users with different nicknames', { users: [{ nickname: 'Ann' }, { nickname: 'Bob' }] }],
      ['onRefuse redirect', { onRefuse: 'redirect' }],
    ];
    for (const [label, options] of GOOD) {
      it(`accepts ${label}`, () => {
        expect(() => createEmulator(options)).not.to.throw();
      });
    }
  });
});

/** The `name=value` pairs a browser sends back after these Set-Cookie headers (an emptied cookie left out). */
function cookiesFrom(response: RawResponse): string {
  const lines = response.headers['set-cookie'] ?? [];
  return lines
    .map((line) => line.split(';')[0]!)
    .filter((pair) => !pair.endsWith('='))
    .join('; ');
}

describe('emulator console: the site, the phone, feedback and labels', () => {
  const h = useEmulator();

  it('links to the site WeChat last sent a visitor back to, once there is one', async () => {
    const { emulator, client } = await h.start();
    expect(await consolePage(emulator)).not.to.include('data-site');
    await authorizeAs(client, 'Band');
    expect(await consolePage(emulator)).to.include('<a href="http://localhost:3000" data-site>');
  });

  it("names the user the phone remembers (from this browser's cookie), and offers to forget them only then", async () => {
    const { emulator, client } = await h.start();
    const url = client.authorizeUrl({ redirectUri: 'http://localhost:3000/page', state: 'state123', scope: 'snsapi_base' });
    const phone = await fetch(url.replace('#wechat_redirect', '&emulator_user=Band#wechat_redirect'), { redirect: 'manual' });
    const cookie = (phone.headers.getSetCookie()[0] ?? '').split(';')[0]!;
    const remembered = (await send(emulator.url, { path: '/emulator', headers: { cookie } })).text;
    expect(/<p data-phone-user>[\s\S]*?<\/p>/.exec(remembered)?.[0])
      .to.include('<strong>Band</strong>')
      .and.include('phone/forget');
    const nobody = await consolePage(emulator);
    expect(/<p data-phone-user>[\s\S]*?<\/p>/.exec(nobody)?.[0])
      .to.include('remembers nobody')
      .and.not.include('phone/forget');
  });

  it('says what each button did, once, on the page it comes back to', async () => {
    const { emulator } = await h.start();
    const visitor = emulator.findUser('Visitor')!;
    const pressed: Array<[action: string, fields: Record<string, string>, says: RegExp]> = [
      ['follow', { openid: visitor.openid }, /now follows/],
      ['unfollow', { openid: visitor.openid }, /no longer follows/],
      ['users', { nickname: 'Newcomer' }, /Added the user/],
      ['faults', { endpoint: '*', kind: 'busy', times: '1' }, /Planned the fault/],
      ['faults/clear', {}, /Cleared/],
      ['revoke-token', {}, /Revoked/],
      ['counters/reset', {}, /Reset the counters/],
      ['switches', { doubleRedirect: 'true' }, /Changed the switch/],
      ['phone/forget', {}, /forgot its user/],
    ];
    for (const [action, fields, says] of pressed) {
      const answer = await control(emulator, action, fields, { form: true, headers: sameOrigin(emulator) });
      expect(answer.status, `${action}: ${answer.text}`).to.equal(302);
      expect(answer.headers.location).to.equal('/emulator');
      const back = await send(emulator.url, { path: '/emulator', headers: { cookie: cookiesFrom(answer) } });
      expect(/<p class="card notice" role="status"[^>]*>([^<]*)<\/p>/.exec(back.text)?.[1], action).to.match(says);
      // Said once: the answer clears it.
      expect(back.headers['set-cookie']?.join(';')).to.match(/wxemu_done=;/);
    }
    expect(await consolePage(emulator)).not.to.include('role="status"');
  });

  it('a made-up feedback cookie is never printed', async () => {
    const { emulator } = await h.start();
    const page = await send(emulator.url, { path: '/emulator', headers: { cookie: 'wxemu_done=<script>alert(1)</script>' } });
    expect(page.text).not.to.include('role="status"').and.not.include('<script>alert');
  });

  it('labels every field of its forms', async () => {
    const { emulator } = await h.start();
    const page = await consolePage(emulator);
    const fields = [...page.matchAll(/<(input|select)\b[^>]*>/g)].filter(([tag]) => !tag.includes('type="hidden"'));
    const labelled = [...page.matchAll(/<label\b[^>]*>([\s\S]*?)<\/label>/g)].flatMap(([, inside]) => [...inside!.matchAll(/<(input|select)\b/g)]);
    expect(fields.length).to.be.at.least(4);
    expect(labelled.length).to.equal(fields.length);
  });
});
