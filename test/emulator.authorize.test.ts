import { expect } from 'chai';
import { WeChatApiError } from '../lib/index.js';
import type { Emulator } from '../lib/emulator/index.js';
import { callbackOf, expectErrorPage, headingOf, load, phoneOf, unescapeHtml } from './support/authorize-pages.js';
import { CALLBACK, useEmulator } from './support/emulator.js';
import { rejectionOf } from './support/fixtures.js';

type Pairs = Array<[string, string]>;

const STATE = 'abc123';

/** A well-formed request, in WeChat's order. */
function pairs(emulator: Emulator, overrides: Record<string, string> = {}): Pairs {
  const base: Record<string, string> = { appid: emulator.appId, redirect_uri: CALLBACK, response_type: 'code', scope: 'snsapi_base', state: STATE };
  return Object.entries({ ...base, ...overrides });
}

/** The authorize URL with exactly these parameters, each value encoded once. */
function authorizeUrl(emulator: Emulator, query: Pairs): string {
  return `${emulator.url}/connect/oauth2/authorize?${query.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&')}#wechat_redirect`;
}

const ORDER_NAMED = 'appid, redirect_uri, response_type, scope, state';

/** The literal `const target = …;` of the double-redirect page, read back as JavaScript would. */
function scriptTarget(page: string): string {
  const literal = /const target = ("(?:[^"\\]|\\.)*");/.exec(page)?.[1];
  expect(literal, 'the script literal').to.be.a('string');
  return JSON.parse(literal!) as string;
}

describe('emulator: GET /connect/oauth2/authorize', () => {
  const h = useEmulator();

  /** Authorizes as Band, whose cookie the phone holds: snsapi_base is then silent. */
  async function authorizeBand(emulator: Emulator, query: Pairs) {
    return load(authorizeUrl(emulator, query), { headers: phoneOf(emulator.findUser('Band')!.openid) });
  }

  describe("WeChat's parameter order", () => {
    it("accepts the client's authorizeUrl() output as is", async () => {
      const { emulator, client } = await h.start();
      const url = client.authorizeUrl({ redirectUri: CALLBACK, state: STATE, scope: 'snsapi_base' });
      const { code, state, url: callback } = callbackOf(await load(url, { headers: phoneOf(emulator.findUser('Band')!.openid) }));
      expect(`${callback.origin}${callback.pathname}`).to.equal(CALLBACK);
      expect(code).to.have.length(32);
      expect(state).to.equal(STATE);
    });

    it('accepts extras after state', async () => {
      const { emulator } = await h.start();
      const query = [...pairs(emulator), ['forcePopup', 'false'], ['connect_redirect', '1'], ['utm', 'menu']] satisfies Pairs;
      expect(callbackOf(await authorizeBand(emulator, query)).state).to.equal(STATE);
    });

    const orders: Array<[string, (query: Pairs) => Pairs]> = [
      ['redirect_uri before appid', ([a, r, ...rest]) => [r!, a!, ...rest]],
      ['state before scope', ([a, r, t, s, st]) => [a!, r!, t!, st!, s!]],
      ['response_type last', ([a, r, t, s, st]) => [a!, r!, s!, st!, t!]],
      ['an extra before state', ([a, r, t, s, st]) => [a!, r!, t!, s!, ['connect_redirect', '1'], st!]],
      ['an extra first', (query) => [['connect_redirect', '1'], ...query]],
      ['everything reversed', (query) => [...query].reverse()],
    ];
    for (const [label, reorder] of orders) {
      it(`refuses ${label} with the 参数错误 page naming the order`, async () => {
        const { emulator } = await h.start();
        const answer = await authorizeBand(emulator, reorder(pairs(emulator)));
        expectErrorPage(answer, '参数错误');
        expect(unescapeHtml(answer.body)).to.contain(ORDER_NAMED);
      });
    }

    it('escapes the parameter names it quotes on the error page', async () => {
      const { emulator } = await h.start();
      const [a, r, t, s, st] = pairs(emulator);
      const answer = await load(authorizeUrl(emulator, [a!, r!, t!, s!, ['<b>bold</b>', '1'], st!]));
      expectErrorPage(answer, '参数错误');
      expect(answer.body).to.contain('&lt;b&gt;bold&lt;/b&gt;');
      expect(answer.body).not.to.contain('<b>bold');
    });
  });

  describe('redirect_uri', () => {
    const allowedByDefault = [
      'http://localhost:3000/wechat/callback',
      'http://127.0.0.1:8080/cb',
      'https://localhost/cb',
      'http://LOCALHOST:3000/cb',
    ];
    for (const redirectUri of allowedByDefault) {
      it(`sends the code to ${redirectUri} (default allow-list: localhost, 127.0.0.1, any port)`, async () => {
        const { emulator } = await h.start();
        const { url, code } = callbackOf(await authorizeBand(emulator, pairs(emulator, { redirect_uri: redirectUri })));
        expect(url.host.toLowerCase()).to.equal(new URL(redirectUri).host);
        expect(code).to.have.length(32);
      });
    }

    const notAllowedByDefault = [
      ['another host', 'http://shop.example.com/cb', 'shop.example.com'],
      ['a subdomain of an allowed host', 'http://m.localhost:3000/cb', 'm.localhost:3000'],
      ['an allowed name as a prefix of another host', 'http://localhost.example.com/cb', 'localhost.example.com'],
      ['an allowed name as user info', 'http://localhost@example.com/cb', 'example.com'],
      ['another loopback address', 'http://127.0.0.2/cb', '127.0.0.2'],
    ] as const;
    for (const [label, redirectUri, host] of notAllowedByDefault) {
      it(`refuses ${label} with the 10003 page`, async () => {
        const { emulator } = await h.start();
        const answer = await authorizeBand(emulator, pairs(emulator, { redirect_uri: redirectUri }));
        expectErrorPage(answer, '10003 redirect_uri 域名与后台配置不一致');
        expect(answer.body).to.contain(host);
      });
    }

    const withPort: Array<[string, boolean]> = [
      ['http://shop.example.com:8080/cb', true],
      ['https://shop.example.com:8080/cb?from=menu', true],
      ['http://shop.example.com/cb', false],
      ['http://shop.example.com:8081/cb', false],
      ['http://m.shop.example.com:8080/cb', false],
      ['http://localhost:3000/cb', false],
      ['http://www.example.com/cb', true],
      ['http://www.example.com:9999/cb', true],
      ['http://example.com/cb', false],
    ];
    for (const [redirectUri, allowed] of withPort) {
      it(`${allowed ? 'allows' : 'refuses'} ${redirectUri} when oauthDomains is [shop.example.com:8080, www.example.com]`, async () => {
        const { emulator } = await h.start({ oauthDomains: ['shop.example.com:8080', 'www.example.com'] });
        const answer = await authorizeBand(emulator, pairs(emulator, { redirect_uri: redirectUri }));
        if (allowed) expect(callbackOf(answer).url.host).to.equal(new URL(redirectUri).host);
        else expectErrorPage(answer, '10003 redirect_uri 域名与后台配置不一致');
      });
    }

    // WHATWG URLs drop the scheme's default port, so `https://shop.example.com/cb` has host `shop.example.com`.
    const defaultPorts: Array<[string, string, boolean]> = [
      ['shop.example.com:443', 'https://shop.example.com/cb', true],
      ['shop.example.com:443', 'https://shop.example.com:443/cb', true],
      ['shop.example.com:80', 'http://shop.example.com/cb', true],
      ['shop.example.com:443', 'http://shop.example.com/cb', false],
      ['shop.example.com:80', 'https://shop.example.com/cb', false],
    ];
    for (const [domain, redirectUri, allowed] of defaultPorts) {
      it(`${allowed ? 'allows' : 'refuses'} ${redirectUri} when oauthDomains is [${domain}] (the default port counts as that port)`, async () => {
        const { emulator } = await h.start({ oauthDomains: [domain] });
        const answer = await authorizeBand(emulator, pairs(emulator, { redirect_uri: redirectUri }));
        if (allowed) expect(callbackOf(answer).url.hostname).to.equal('shop.example.com');
        else expectErrorPage(answer, '10003 redirect_uri 域名与后台配置不一致');
      });
    }

    it('refuses an empty redirect_uri with the 10011 page', async () => {
      const { emulator } = await h.start();
      expectErrorPage(await authorizeBand(emulator, pairs(emulator, { redirect_uri: '' })), '10011 redirect_uri 参数错误');
    });

    const malformed = [
      ['that is a path', '/wechat/callback'],
      ['without a scheme', 'localhost:3000/cb'],
      ['that is an ftp URL', 'ftp://localhost/cb'],
      ['that is a javascript: URL', 'javascript:alert(1)'],
      ['with a fragment', 'http://localhost:3000/cb#x'],
      ['with an empty fragment', 'http://localhost:3000/cb#'],
      ['that is not a URL', 'http://'],
    ] as const;
    for (const [label, redirectUri] of malformed) {
      it(`refuses a redirect_uri ${label}`, async () => {
        const { emulator } = await h.start();
        expectErrorPage(await authorizeBand(emulator, pairs(emulator, { redirect_uri: redirectUri })), 'redirect_uri 参数错误');
      });
    }
  });

  describe('scope, state, appid, response_type', () => {
    const refusals: Array<[string, Record<string, string>, string]> = [
      ['an empty scope', { scope: '' }, '10010 scope 参数错误'],
      ['an unknown scope (snsapi_login)', { scope: 'snsapi_login' }, '10005 此公众号并没有这些 scope 的权限'],
      ['two scopes at once', { scope: 'snsapi_base,snsapi_userinfo' }, '10005 此公众号并没有这些 scope 的权限'],
      ['an empty state', { state: '' }, '10013 state 参数错误'],
      ['a state of 129 characters', { state: 'a'.repeat(129) }, 'state 参数错误'],
      ['a state of 10,000 characters', { state: 'a'.repeat(10_000) }, 'state 参数错误'],
      ['a state with -', { state: 'ab-c' }, 'state 参数错误'],
      ['a state with _', { state: 'ab_c' }, 'state 参数错误'],
      ['a state with a space', { state: 'ab c' }, 'state 参数错误'],
      ['a state of unicode letters', { state: 'état' }, 'state 参数错误'],
      ['a state of Chinese characters', { state: '小明' }, 'state 参数错误'],
      ['an empty appid', { appid: '' }, '10012 appid 参数错误'],
      ['another AppID', { appid: 'wx00000000000000ff' }, 'appid 参数错误'],
      ['response_type=token', { response_type: 'token' }, 'response_type 参数错误'],
      ['response_type=CODE', { response_type: 'CODE' }, 'response_type 参数错误'],
      ['an empty response_type', { response_type: '' }, 'response_type 参数错误'],
    ];
    for (const [label, override, heading] of refusals) {
      it(`refuses ${label}: 400, "${heading}"`, async () => {
        const { emulator } = await h.start();
        expectErrorPage(await authorizeBand(emulator, pairs(emulator, override)), heading);
      });
    }

    for (const scope of ['snsapi_base', 'snsapi_userinfo']) {
      it(`accepts scope=${scope}`, async () => {
        const { emulator, client } = await h.start();
        const answer = await load(authorizeUrl(emulator, [...pairs(emulator, { scope }), ['emulator_user', 'Band']]));
        const granted = await client.exchangeCode(callbackOf(answer).code!);
        expect(granted.scope).to.equal(scope);
      });
    }

    it('echoes a state of 128 letters and digits untouched', async () => {
      const { emulator } = await h.start();
      const state = 'Az09'.repeat(32);
      expect(callbackOf(await authorizeBand(emulator, pairs(emulator, { state }))).state).to.equal(state);
    });

    const repeated = [
      ['appid', 'appid 参数错误'],
      ['redirect_uri', 'redirect_uri 参数错误'],
      ['response_type', 'response_type 参数错误'],
      ['scope', '10005 此公众号并没有这些 scope 的权限'],
      ['state', 'state 参数错误'],
    ] as const;
    for (const [name, heading] of repeated) {
      it(`refuses a repeated ${name}, even with the same value`, async () => {
        const { emulator } = await h.start();
        const query = pairs(emulator);
        const answer = await authorizeBand(emulator, [...query, query.find(([each]) => each === name)!]);
        expectErrorPage(answer, heading);
      });
    }
  });

  describe('methods', () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      it(`answers ${method} with 405 and no code`, async () => {
        const { emulator } = await h.start();
        const answer = await load(authorizeUrl(emulator, pairs(emulator)), { method, headers: phoneOf(emulator.findUser('Band')!.openid) });
        expectErrorPage(answer, '请求方式错误', 405);
      });
    }
  });

  describe('the callback', () => {
    it('is a 302 to redirect_uri?code=CODE&state=STATE, the code of 32 characters', async () => {
      const { emulator } = await h.start();
      const answer = await authorizeBand(emulator, pairs(emulator));
      const { code } = callbackOf(answer);
      expect(code).to.match(/^[A-Za-z0-9_-]{32}$/);
      expect(answer.location).to.equal(`${CALLBACK}?code=${code}&state=${STATE}`);
    });

    it('appends with & when redirect_uri has a query already', async () => {
      const { emulator } = await h.start();
      const answer = await authorizeBand(emulator, pairs(emulator, { redirect_uri: `${CALLBACK}?from=menu&x=1` }));
      const { code } = callbackOf(answer);
      expect(answer.location).to.equal(`${CALLBACK}?from=menu&x=1&code=${code}&state=${STATE}`);
    });

    it('gives a different code on every authorization', async () => {
      const { emulator } = await h.start();
      const codes = new Set<string>();
      for (let i = 0; i < 8; i++) codes.add(callbackOf(await authorizeBand(emulator, pairs(emulator))).code!);
      expect(codes.size).to.equal(8);
    });

    it('gives a code that exchangeCode() takes exactly once (then 40163)', async () => {
      const { emulator, client } = await h.start();
      const { code } = callbackOf(await authorizeBand(emulator, pairs(emulator)));
      const granted = await client.exchangeCode(code!);
      expect([granted.openid, granted.scope]).to.deep.equal([emulator.findUser('Band')!.openid, 'snsapi_base']);
      const error = await rejectionOf(client.exchangeCode(code!));
      expect(error).to.be.instanceOf(WeChatApiError);
      expect((error as WeChatApiError).errcode).to.equal(40163);
    });

    it('gives a code that still works after 299 seconds', async () => {
      const { emulator, client } = await h.start();
      const { code } = callbackOf(await authorizeBand(emulator, pairs(emulator)));
      emulator.advanceClock(299);
      expect((await client.exchangeCode(code!)).openid).to.equal(emulator.findUser('Band')!.openid);
    });

    it('gives a code that expires after 5 minutes (40029)', async () => {
      const { emulator, client } = await h.start();
      const { code } = callbackOf(await authorizeBand(emulator, pairs(emulator)));
      emulator.advanceClock(301);
      const error = await rejectionOf(client.exchangeCode(code!));
      expect((error as WeChatApiError).errcode).to.equal(40029);
    });
  });

  describe('double redirect', () => {
    const ways: Array<[string, (emulator: Emulator) => void, object]> = [
      ['the doubleRedirect option', () => {}, { doubleRedirect: true }],
      ['setSwitches({ doubleRedirect: true })', (emulator) => emulator.setSwitches({ doubleRedirect: true }), {}],
    ];
    for (const [label, turnOn, options] of ways) {
      it(`with ${label}: a 200 page that loads the exact callback twice (fetch, then location.replace)`, async () => {
        const { emulator, client } = await h.start(options);
        turnOn(emulator);
        const answer = await authorizeBand(emulator, pairs(emulator));
        expect([answer.status, answer.location]).to.deep.equal([200, null]);
        expect(answer.type).to.match(/^text\/html/);
        const target = scriptTarget(answer.body);
        const code = new URL(target).searchParams.get('code')!;
        expect(target).to.equal(`${CALLBACK}?code=${code}&state=${STATE}`);
        expect(code).to.have.length(32);
        expect(answer.body).to.match(/fetch\(target\b[^)]*\)[\s\S]*location\.replace\(target\)/);
        const link = /<a id="callback" href="([^"]*)">/.exec(answer.body)?.[1];
        expect(unescapeHtml(link!)).to.equal(target);
        // One code for both loads: the first load's exchange wins, the second sees 40163.
        expect((await client.exchangeCode(code)).openid).to.equal(emulator.findUser('Band')!.openid);
        expect(((await rejectionOf(client.exchangeCode(code))) as WeChatApiError).errcode).to.equal(40163);
      });
    }

    it('embeds a redirect_uri holding </script> without letting it close the script', async () => {
      const { emulator } = await h.start({ doubleRedirect: true });
      const redirectUri = `${CALLBACK}?x=</script><script>alert(1)</script>`;
      const answer = await authorizeBand(emulator, pairs(emulator, { redirect_uri: redirectUri }));
      expect(answer.status).to.equal(200);
      expect(answer.body.match(/<script>/g)).to.have.length(1);
      expect(answer.body).not.to.contain('<script>alert(1)');
      expect(answer.body).to.contain('\\u003c/script>');
      const target = scriptTarget(answer.body);
      expect(target.startsWith(`${redirectUri}&code=`)).to.equal(true, target);
      expect(target.endsWith(`&state=${STATE}`)).to.equal(true, target);
    });

    it('is off by default: a plain 302', async () => {
      const { emulator } = await h.start();
      expect((await authorizeBand(emulator, pairs(emulator))).status).to.equal(302);
    });
  });

  describe('a refused consent sheet', () => {
    const refusing = (emulator: Emulator) =>
      load(authorizeUrl(emulator, [...pairs(emulator, { scope: 'snsapi_userinfo' }), ['emulator_user', 'Band'], ['emulator_consent', 'refuse']]));

    it("stays by default (onRefuse: 'stay'): a 200 page and no redirect", async () => {
      const { emulator } = await h.start();
      const answer = await refusing(emulator);
      expect([answer.status, answer.location]).to.deep.equal([200, null]);
      expect(answer.type).to.match(/^text\/html/);
      expect(headingOf(answer.body)).to.equal('You refused');
      expect(answer.body).not.to.contain(CALLBACK);
    });

    const redirecting: Array<[string, object, (emulator: Emulator) => void]> = [
      ["onRefuse: 'redirect'", { onRefuse: 'redirect' }, () => {}],
      ["setSwitches({ onRefuse: 'redirect' })", {}, (emulator) => emulator.setSwitches({ onRefuse: 'redirect' })],
    ];
    for (const [label, options, turnOn] of redirecting) {
      it(`with ${label}: a 302 to the callback with state and no code`, async () => {
        const { emulator } = await h.start(options);
        turnOn(emulator);
        const answer = await refusing(emulator);
        expect(answer.status).to.equal(302);
        expect(answer.location).to.equal(`${CALLBACK}?state=${STATE}`);
      });
    }
  });
});
