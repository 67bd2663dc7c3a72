/**
 * The emulator answers every malformed request as WeChat would: never a 5xx, never a stack trace or the app
 * secret, the exact errcode wherever the reference names one, and good requests still work afterwards.
 * Each endpoint is crossed with each malformation; every case runs on a fresh emulator.
 */
import { expect } from 'chai';
import type { Emulator } from '../lib/emulator/index.js';
import { STACK_FRAME, jsonOf, leakedIn, send, type RawRequest, type RawResponse } from './support/console-http.js';
import { CALLBACK, authorizeAs, codeOf, useEmulator } from './support/emulator.js';

type Flavor = 'cgi' | 'sns';

/** WeChat's labels: `/cgi-bin/*` says JSON (with `encoding=`), `/sns/*` says text/plain over a JSON body. */
const CONTENT_TYPE: Record<Flavor, string> = { cgi: 'application/json; encoding=utf-8', sns: 'text/plain' };

/** A good value for every parameter, fresh in each test. */
interface Goods {
  appid: string;
  secret: string;
  /** A global token. */
  token: string;
  /** An unused snsapi_userinfo code. */
  code: string;
  /** Band's snsapi_userinfo OAuth token, its refresh token and Band's openid (Band follows). */
  oauthToken: string;
  refreshToken: string;
  openid: string;
}

/** An exact errcode, or any non-zero one where neither the reference nor the emulator's table pins it. */
type Errcode = number | 'non-zero';

interface Param {
  name: string;
  in: 'query' | 'json';
  good: (goods: Goods) => string;
  /** The errcode when absent or empty; undefined for an optional parameter. */
  missing?: Errcode;
  /** The errcode of a wrong value: repeated, 10,000 characters, unicode. */
  wrong: Errcode;
  /** How a JSON field carries a value (default: as a string). */
  carry?: (value: string) => unknown;
}

interface Spec {
  path: string;
  method: 'GET' | 'POST';
  flavor: Flavor;
  params: Param[];
  /** The errcode with no parameter at all. */
  none: Errcode;
  /** The errcode of a POST body that is not a JSON object. */
  notAnObject?: Errcode;
  /** A field of the success answer. */
  success: string;
  /** Cases of this endpoint alone. */
  extra?: Case[];
}

/** WeChat-shaped with this errcode, or this HTTP status (413). */
type Expected = Errcode | { status: number };

interface Case {
  title: string;
  request: (spec: Spec, goods: Goods) => RawRequest;
  expected: Expected;
}

const appid: Param = { name: 'appid', in: 'query', good: (g) => g.appid, missing: 41002, wrong: 40013 };
const secret: Param = { name: 'secret', in: 'query', good: (g) => g.secret, missing: 41004, wrong: 40125 };
const grantType = (value: string): Param => ({ name: 'grant_type', in: 'query', good: () => value, missing: 40002, wrong: 40002 });
const globalToken: Param = { name: 'access_token', in: 'query', good: (g) => g.token, missing: 41001, wrong: 40001 };
const oauthToken: Param = { name: 'access_token', in: 'query', good: (g) => g.oauthToken, missing: 41001, wrong: 40001 };
const openid: Param = { name: 'openid', in: 'query', good: (g) => g.openid, missing: 41009, wrong: 40003 };
const json = (param: Param): Param => ({ ...param, in: 'json' });

/** Unicode and broken encodings: the value as a string (JSON), and as raw query text. */
const ODD_VALUES: ReadonlyArray<{ label: string; value: string; raw: string }> = [
  { label: 'Chinese (中文)', value: '中文', raw: encodeURIComponent('中文') },
  { label: 'an emoji', value: '😀', raw: encodeURIComponent('😀') },
  { label: 'broken percent-encoding (%E4%B8)', value: '%E4%B8', raw: '%E4%B8' },
  { label: 'a NUL (%00)', value: '\u0000', raw: '%00' },
  { label: 'a lone surrogate', value: '\ud800', raw: '%ED%A0%80' },
  { label: 'a bare %', value: '%', raw: '%' },
];

const LONG = 'A'.repeat(10_000);
const OVER_A_MIB = 'x'.repeat(1024 * 1024 + 1);

interface Change {
  /** No parameter at all, no body. */
  bare?: boolean;
  omit?: string;
  repeat?: string;
  set?: { name: string; value: string; raw?: string };
  method?: string;
  body?: string | Buffer;
  contentType?: string;
  chunked?: boolean;
}

/** The endpoint's good request with one change. A repeated JSON field repeats with a wrong second value (JSON keeps the last). */
function build(spec: Spec, goods: Goods, change: Change = {}): RawRequest {
  const query: string[] = [];
  const fields: string[] = [];
  for (const param of change.bare === true ? [] : spec.params) {
    if (param.name === change.omit) continue;
    const set = change.set?.name === param.name ? change.set : undefined;
    const values =
      set !== undefined
        ? [set.value]
        : param.name === change.repeat
          ? [param.good(goods), param.in === 'json' ? 'wrong' : param.good(goods)]
          : [param.good(goods)];
    for (const value of values) {
      if (param.in === 'query') query.push(`${param.name}=${set?.raw ?? encodeURIComponent(value)}`);
      else fields.push(`${JSON.stringify(param.name)}:${JSON.stringify(param.carry === undefined ? value : param.carry(value))}`);
    }
  }
  const path = query.length === 0 ? spec.path : `${spec.path}?${query.join('&')}`;
  const method = change.method ?? spec.method;
  if (change.body === undefined && (spec.method === 'GET' || method === 'GET' || change.bare === true)) return { method, path };
  return {
    method,
    path,
    body: change.body ?? `{${fields.join(',')}}`,
    headers: { 'content-type': change.contentType ?? 'application/json' },
    chunked: change.chunked,
  };
}

const BATCH_LIST: Param = {
  name: 'user_list',
  in: 'json',
  good: (g) => g.openid,
  missing: 47001,
  wrong: 40003,
  carry: (value) => [{ openid: value, lang: 'zh_CN' }],
};

const SPECS: Spec[] = [
  {
    path: '/cgi-bin/token',
    method: 'GET',
    flavor: 'cgi',
    params: [grantType('client_credential'), appid, secret],
    none: 41002,
    success: 'access_token',
  },
  {
    path: '/cgi-bin/stable_token',
    method: 'POST',
    flavor: 'cgi',
    params: [json(grantType('client_credential')), json(appid), json(secret)],
    none: 41002,
    // JSON only: anything else reads as no parameter at all.
    notAnObject: 41002,
    success: 'access_token',
  },
  {
    path: '/sns/oauth2/access_token',
    method: 'GET',
    flavor: 'sns',
    params: [appid, secret, { name: 'code', in: 'query', good: (g) => g.code, missing: 41008, wrong: 40029 }, grantType('authorization_code')],
    none: 41002,
    success: 'access_token',
  },
  {
    path: '/sns/oauth2/refresh_token',
    method: 'GET',
    flavor: 'sns',
    params: [appid, grantType('refresh_token'), { name: 'refresh_token', in: 'query', good: (g) => g.refreshToken, missing: 41003, wrong: 40030 }],
    none: 41002,
    success: 'access_token',
  },
  { path: '/sns/auth', method: 'GET', flavor: 'sns', params: [oauthToken, openid], none: 41001, success: 'errmsg' },
  { path: '/sns/userinfo', method: 'GET', flavor: 'sns', params: [oauthToken, openid], none: 41001, success: 'nickname' },
  { path: '/cgi-bin/user/info', method: 'GET', flavor: 'cgi', params: [globalToken, openid], none: 41001, success: 'subscribe' },
  {
    path: '/cgi-bin/user/info/batchget',
    method: 'POST',
    flavor: 'cgi',
    params: [globalToken, BATCH_LIST],
    none: 41001,
    notAnObject: 47001,
    success: 'user_info_list',
    extra: [
      { title: 'an empty user_list → 40032', request: (spec, g) => build(spec, g, { body: '{"user_list":[]}' }), expected: 40032 },
      {
        title: 'a user_list of 101 openids → 40032',
        request: (spec, g) => build(spec, g, { body: JSON.stringify({ user_list: Array.from({ length: 101 }, () => ({ openid: g.openid })) }) }),
        expected: 40032,
      },
      {
        title: 'a user_list that is an object → 47001',
        request: (spec, g) => build(spec, g, { body: '{"user_list":{"openid":"x"}}' }),
        expected: 47001,
      },
      { title: 'a user_list entry without openid → 40003', request: (spec, g) => build(spec, g, { body: '{"user_list":[{}]}' }), expected: 40003 },
      { title: 'a user_list entry that is null → 40003', request: (spec, g) => build(spec, g, { body: '{"user_list":[null]}' }), expected: 40003 },
    ],
  },
  {
    path: '/cgi-bin/user/get',
    method: 'GET',
    flavor: 'cgi',
    params: [globalToken, { name: 'next_openid', in: 'query', good: (g) => g.openid, wrong: 40003 }],
    none: 41001,
    success: 'total',
  },
];

function casesOf(spec: Spec): Case[] {
  const cases: Case[] = [{ title: `no parameter at all → ${spec.none}`, request: (s, g) => build(s, g, { bare: true }), expected: spec.none }];
  for (const param of spec.params) {
    if (param.missing !== undefined) {
      const missing = param.missing;
      cases.push({ title: `${param.name} missing → ${missing}`, request: (s, g) => build(s, g, { omit: param.name }), expected: missing });
      if (param.carry === undefined) {
        cases.push({
          title: `${param.name} empty → ${missing}`,
          request: (s, g) => build(s, g, { set: { name: param.name, value: '' } }),
          expected: missing,
        });
      }
    }
    cases.push(
      { title: `${param.name} repeated → ${param.wrong}`, request: (s, g) => build(s, g, { repeat: param.name }), expected: param.wrong },
      {
        title: `a 10,000-character ${param.name} → ${param.wrong}`,
        request: (s, g) => build(s, g, { set: { name: param.name, value: LONG } }),
        expected: param.wrong,
      },
      ...ODD_VALUES.map((odd) => ({
        title: `${param.name} in ${odd.label} → ${param.wrong}`,
        request: (s: Spec, g: Goods) => build(s, g, { set: { name: param.name, ...odd } }),
        expected: param.wrong,
      })),
    );
    if (param.in === 'json' && param.carry === undefined) {
      for (const [label, value] of [
        ['a number', 123],
        ['an array', ['x']],
        ['null', null],
      ] as const) {
        cases.push({
          title: `${param.name} as ${label} → an errcode`,
          request: (s, g) => build(s, g, { body: JSON.stringify({ ...JSON.parse(build(s, g).body as string), [param.name]: value }) }),
          expected: 'non-zero',
        });
      }
    }
  }
  const wrongMethods = spec.method === 'GET' ? ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] : ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
  const methodErrcode = spec.method === 'GET' ? 43001 : 43002;
  for (const method of wrongMethods) {
    cases.push({
      title: `${method} instead of ${spec.method} → ${methodErrcode}`,
      request: (s, g) => build(s, g, { method }),
      expected: methodErrcode,
    });
  }
  if (spec.method === 'GET') {
    cases.push({
      title: `POST with a JSON body instead of GET → 43001`,
      request: (s, g) => build(s, g, { method: 'POST', body: '{"appid":"x"}', contentType: 'application/json' }),
      expected: 43001,
    });
  }
  if (spec.notAnObject !== undefined) {
    const errcode = spec.notAnObject;
    const bodies: Array<[string, (s: Spec, g: Goods) => string | Buffer, string?]> = [
      ['a body that is not JSON', () => 'this is not JSON'],
      ['truncated JSON', (s, g) => (build(s, g).body as string).slice(0, 20)],
      ['a JSON array of the good fields', (s, g) => `[${build(s, g).body as string}]`],
      ['JSON null', () => 'null'],
      ['a JSON string', () => '"appid"'],
      ['a JSON number', () => '42'],
      ['an empty body', () => ''],
      ['white space only', () => ' \n\t '],
      ['invalid UTF-8 bytes', () => Buffer.from([0xff, 0xfe, 0x7b, 0xc3])],
      [
        'a form body of the good fields',
        (s, g) => new URLSearchParams(JSON.parse(build(s, g).body as string) as Record<string, string>).toString(),
        'application/x-www-form-urlencoded',
      ],
    ];
    for (const [label, body, contentType] of bodies) {
      cases.push({ title: `${label} → ${errcode}`, request: (s, g) => build(s, g, { body: body(s, g), contentType }), expected: errcode });
    }
    cases.push(
      { title: 'a body over 1 MiB → HTTP 413', request: (s, g) => build(s, g, { body: OVER_A_MIB }), expected: { status: 413 } },
      {
        title: 'a body over 1 MiB sent chunked, without a length → HTTP 413',
        request: (s, g) => build(s, g, { body: OVER_A_MIB, chunked: true }),
        expected: { status: 413 },
      },
    );
  }
  return [...cases, ...(spec.extra ?? [])];
}

/** The emulator's time in whole seconds: what the first group of a rid says, in hex. */
function emulatorSeconds(emulator: Emulator): number {
  return Math.floor(emulator.snapshot().now / 1000);
}

/** No 5xx, no stack frame, no app secret: true of every answer, good or bad. */
function expectClean(response: RawResponse, emulator: Emulator): void {
  expect(response.status, response.text.slice(0, 300)).to.be.below(500);
  expect(response.text).not.to.match(STACK_FRAME);
  expect(leakedIn(response.text, [emulator.appSecret]), 'the app secret in the body').to.deep.equal([]);
}

const RID = / rid: ([0-9a-f]{8})-[0-9a-f]{8}-[0-9a-f]{8}$/;

function expectWeChatError(response: RawResponse, flavor: Flavor, errcode: Errcode, seconds: { from: number; to: number }): void {
  expect(response.status, response.text).to.equal(200);
  expect(response.headers['content-type']).to.equal(CONTENT_TYPE[flavor]);
  const body = jsonOf(response) as { errcode?: unknown; errmsg?: unknown };
  expect(Number.isInteger(body.errcode) && body.errcode !== 0, `a non-zero integer errcode in ${response.text}`).to.be.true;
  if (errcode !== 'non-zero') expect(body.errcode, response.text).to.equal(errcode);
  expect(body.errmsg).to.be.a('string').and.match(RID);
  const issued = parseInt(RID.exec(body.errmsg as string)![1]!, 16);
  expect(issued).to.be.within(seconds.from, seconds.to);
}

/** Sends a request and checks its answer; returns it. */
async function expectAnswer(emulator: Emulator, flavor: Flavor, request: RawRequest, expected: Expected): Promise<RawResponse> {
  const from = emulatorSeconds(emulator);
  const response = await send(emulator.url, request);
  const to = emulatorSeconds(emulator);
  expectClean(response, emulator);
  if (typeof expected === 'object') expect(response.status, response.text.slice(0, 300)).to.equal(expected.status);
  else expectWeChatError(response, flavor, expected, { from, to });
  return response;
}

/** The endpoint still answers its good request as a success. */
async function expectSuccess(emulator: Emulator, spec: Spec, goods: Goods): Promise<void> {
  const response = await send(emulator.url, build(spec, goods));
  expectClean(response, emulator);
  expect(response.status).to.equal(200);
  expect(response.headers['content-type']).to.equal(CONTENT_TYPE[spec.flavor]);
  const body = jsonOf(response) as Record<string, unknown>;
  expect(body.errcode ?? 0, response.text).to.equal(0);
  expect(body, response.text).to.have.property(spec.success);
}

describe('the emulator answers malformed requests as WeChat would', () => {
  const h = useEmulator();

  async function prepare(): Promise<{ emulator: Emulator; goods: Goods }> {
    const { emulator, client } = await h.start();
    const token = (await client.fetchClassicToken()).access_token;
    const granted = await client.exchangeCode(codeOf(await authorizeAs(client, 'Band', { scope: 'snsapi_userinfo' })));
    const code = codeOf(await authorizeAs(client, 'Band', { scope: 'snsapi_userinfo' }));
    const goods = {
      appid: emulator.appId,
      secret: emulator.appSecret,
      token,
      code,
      oauthToken: granted.access_token,
      refreshToken: granted.refresh_token,
      openid: granted.openid,
    };
    return { emulator, goods };
  }

  for (const spec of SPECS) {
    describe(`${spec.method} ${spec.path}`, () => {
      for (const each of casesOf(spec)) {
        it(`${each.title}, and still answers a good request`, async () => {
          const { emulator, goods } = await prepare();
          await expectAnswer(emulator, spec.flavor, each.request(spec, goods), each.expected);
          await expectSuccess(emulator, spec, goods);
        });
      }

      if (spec.method === 'GET') {
        it('HEAD works: 200, the same label, no body', async () => {
          const { emulator, goods } = await prepare();
          for (const request of [build(spec, goods, { method: 'HEAD' }), build(spec, goods, { method: 'HEAD', bare: true })]) {
            const response = await send(emulator.url, request);
            expect(response.status).to.equal(200);
            expect(response.headers['content-type']).to.equal(CONTENT_TYPE[spec.flavor]);
            expect(response.text).to.equal('');
          }
        });
      }
    });
  }

  it('stamps the rid with the emulator time, moved clock included', async () => {
    const { emulator } = await prepare();
    emulator.advanceClock(365 * 86_400);
    const response = await expectAnswer(emulator, 'cgi', { path: '/cgi-bin/token' }, 41002);
    const issued = parseInt(RID.exec((jsonOf(response) as { errmsg: string }).errmsg)![1]!, 16);
    expect(issued - Math.floor(Date.now() / 1000)).to.be.within(365 * 86_400 - 60, 365 * 86_400 + 60);
  });

  describe('GET /connect/oauth2/authorize (WeChat error pages)', () => {
    interface AuthorizeParam {
      name: string;
      good: () => string;
      /** WeChat's code on the page when the parameter is absent (none: a page without a code). */
      missing?: number;
      /** The code on the page for a wrong value. */
      wrong?: number;
    }
    const PARAMS: AuthorizeParam[] = [
      { name: 'appid', good: () => 'wx0123456789abcdef', missing: 10012 },
      { name: 'redirect_uri', good: () => CALLBACK, missing: 10011 },
      { name: 'response_type', good: () => 'code' },
      { name: 'scope', good: () => 'snsapi_base', missing: 10010, wrong: 10005 },
      { name: 'state', good: () => 'abc123', missing: 10013 },
    ];
    const query = (change: { omit?: string; repeat?: string; set?: { name: string; raw: string } } = {}): string =>
      PARAMS.filter((param) => param.name !== change.omit)
        .flatMap((param) => {
          const raw = change.set?.name === param.name ? change.set.raw : encodeURIComponent(param.good());
          return param.name === change.repeat ? [`${param.name}=${raw}`, `${param.name}=${raw}`] : [`${param.name}=${raw}`];
        })
        .join('&');

    const cases: Array<{ title: string; request: RawRequest; page?: number; status?: number }> = [
      { title: 'no parameter at all → 10012', request: { path: '/connect/oauth2/authorize' }, page: 10012 },
      ...PARAMS.flatMap((param) => [
        {
          title: `${param.name} missing${param.missing === undefined ? '' : ` → ${param.missing}`}`,
          request: { path: `/connect/oauth2/authorize?${query({ omit: param.name })}` },
          page: param.missing,
        },
        { title: `${param.name} repeated`, request: { path: `/connect/oauth2/authorize?${query({ repeat: param.name })}` }, page: param.wrong },
        {
          title: `a 10,000-character ${param.name}`,
          request: { path: `/connect/oauth2/authorize?${query({ set: { name: param.name, raw: LONG } })}` },
          page: param.wrong,
        },
        ...ODD_VALUES.map((odd) => ({
          title: `${param.name} in ${odd.label}`,
          request: { path: `/connect/oauth2/authorize?${query({ set: { name: param.name, raw: odd.raw } })}` },
          page: param.wrong,
        })),
      ]),
      ...['POST', 'PUT', 'DELETE'].map((method) => ({
        title: `${method} → 405`,
        request: { method, path: `/connect/oauth2/authorize?${query()}` },
        status: 405,
      })),
    ];

    for (const each of cases) {
      it(`${each.title}: an error page, and still authorizes a good request`, async () => {
        const { emulator } = await prepare();
        const response = await send(emulator.url, each.request);
        expectClean(response, emulator);
        if (each.status !== undefined) expect(response.status).to.equal(each.status);
        else expect(response.status).to.be.within(400, 499);
        expect(response.headers['content-type']).to.match(/^text\/html/);
        expect(response.text).to.include('Oops! Something went wrong:(');
        if (each.page !== undefined) expect(response.text).to.match(new RegExp(`<h1>${each.page} `));
        const good = await send(emulator.url, { path: `/connect/oauth2/authorize?${query()}&emulator_user=Band` });
        expect(good.status).to.equal(302);
        expect(good.headers.location).to.match(/^http:\/\/localhost:3000\/wechat\/callback\?code=[A-Za-z0-9]+&state=abc123$/);
      });
    }

    it('HEAD works, without a body', async () => {
      const { emulator } = await prepare();
      const response = await send(emulator.url, { method: 'HEAD', path: `/connect/oauth2/authorize?${query()}&emulator_user=Band` });
      expect(response.status).to.equal(302);
      expect(response.text).to.equal('');
    });
  });

  describe("the phone's forms (POST /connect/oauth2/authorize/choose and /consent)", () => {
    const FORM = 'application/x-www-form-urlencoded';
    const authorizeQuery = (goods: Goods, scope = 'snsapi_userinfo'): string =>
      new URLSearchParams({ appid: goods.appid, redirect_uri: CALLBACK, response_type: 'code', scope, state: 'abc123' }).toString();
    const post = (path: string, fields: Record<string, string> | string, headers: Record<string, string> = {}): RawRequest => ({
      method: 'POST',
      path,
      body: typeof fields === 'string' ? fields : new URLSearchParams(fields).toString(),
      headers: { 'content-type': FORM, ...headers },
    });
    type FormCase = { title: string; request: (goods: Goods) => RawRequest; status: number };
    const forms: Array<{ path: string; good: (goods: Goods) => Record<string, string>; cases: FormCase[] }> = [
      {
        path: '/connect/oauth2/authorize/choose',
        good: (g) => ({ q: authorizeQuery(g, 'snsapi_base'), openid: g.openid }),
        cases: [
          {
            title: 'a 10,000-character nickname → 400',
            request: (g) => post('/connect/oauth2/authorize/choose', { q: authorizeQuery(g), nickname: LONG }),
            status: 400,
          },
          {
            title: 'a nickname with a NUL → 400',
            request: (g) => post('/connect/oauth2/authorize/choose', `q=${encodeURIComponent(authorizeQuery(g))}&nickname=a%00b`),
            status: 400,
          },
          {
            title: 'an empty nickname → 400',
            request: (g) => post('/connect/oauth2/authorize/choose', { q: authorizeQuery(g), nickname: '' }),
            status: 400,
          },
          {
            title: 'a Chinese nickname → 302 (a new user)',
            request: (g) => post('/connect/oauth2/authorize/choose', { q: authorizeQuery(g, 'snsapi_base'), nickname: '中文😀' }),
            status: 302,
          },
        ],
      },
      {
        path: '/connect/oauth2/authorize/consent',
        good: (g) => ({ q: authorizeQuery(g), openid: g.openid, decision: 'allow' }),
        cases: [
          {
            title: 'an unknown decision → 400',
            request: (g) => post('/connect/oauth2/authorize/consent', { q: authorizeQuery(g), openid: g.openid, decision: '中文' }),
            status: 400,
          },
          {
            title: 'no decision → 400',
            request: (g) => post('/connect/oauth2/authorize/consent', { q: authorizeQuery(g), openid: g.openid }),
            status: 400,
          },
        ],
      },
    ];

    for (const form of forms) {
      describe(form.path, () => {
        const shared: FormCase[] = [
          { title: 'GET → 405', request: () => ({ path: form.path }), status: 405 },
          { title: 'an empty body → 400 (10012)', request: () => post(form.path, ''), status: 400 },
          {
            title: 'a JSON body → 400',
            request: (g) => ({ ...post(form.path, JSON.stringify(form.good(g))), headers: { 'content-type': 'application/json' } }),
            status: 400,
          },
          {
            title: 'a broken authorize query (no state) → 400',
            request: (g) => post(form.path, { ...form.good(g), q: authorizeQuery(g).replace('&state=abc123', '') }),
            status: 400,
          },
          {
            title: 'an unknown openid → 400',
            request: (g) => post(form.path, { ...form.good(g), openid: 'oNobodyHasThisOpenid0000000x' }),
            status: 400,
          },
          { title: 'a 10,000-character openid → 400', request: (g) => post(form.path, { ...form.good(g), openid: LONG }), status: 400 },
          {
            title: 'broken percent-encoding → 400',
            request: (g) => post(form.path, `q=${encodeURIComponent(authorizeQuery(g))}&openid=%E4%B8%`),
            status: 400,
          },
          { title: 'a body over 64 KiB → 413', request: (g) => post(form.path, { ...form.good(g), pad: 'x'.repeat(70_000) }), status: 413 },
          { title: 'a cross-site post → 403', request: (g) => post(form.path, form.good(g), { 'sec-fetch-site': 'cross-site' }), status: 403 },
          {
            title: 'a post from another origin → 403',
            request: (g) => post(form.path, form.good(g), { origin: 'http://evil.example' }),
            status: 403,
          },
        ];
        for (const each of [...shared, ...form.cases]) {
          it(`${each.title}, and the good form still works`, async () => {
            const { emulator, goods } = await prepare();
            const response = await send(emulator.url, each.request(goods));
            expectClean(response, emulator);
            expect(response.status, response.text.slice(0, 300)).to.equal(each.status);
            if (each.status !== 302 && each.status !== 413) expect(response.headers['content-type']).to.match(/^text\/html/);
            const good = await send(emulator.url, post(form.path, form.good(goods)));
            expect(good.status, good.text.slice(0, 300)).to.equal(302);
            expect(good.headers.location).to.match(/^http:\/\/localhost:3000\/wechat\/callback\?code=/);
          });
        }
      });
    }
  });

  describe("the console's control API (POST /emulator/api/*)", () => {
    /** Each action with a body that works; each field of it is then replaced by an odd value. */
    const ACTIONS: ReadonlyArray<{ name: string; good: Record<string, unknown> }> = [
      { name: 'users', good: { nickname: 'Neo', subscribed: true } },
      { name: 'follow', good: { nickname: 'Visitor', openid: undefined } },
      { name: 'unfollow', good: { nickname: 'Band', openid: undefined } },
      { name: 'faults', good: { endpoint: '/cgi-bin/token', kind: 'busy', times: 1 } },
      { name: 'faults/clear', good: {} },
      { name: 'revoke-token', good: { kind: 'classic' } },
      { name: 'clock', good: { advance: 1 } },
      { name: 'counters/reset', good: {} },
      { name: 'switches', good: { doubleRedirect: true, onRefuse: 'redirect' } },
      { name: 'phone/forget', good: {} },
      { name: 'push/verify', good: {} },
    ];
    const ODD_FIELDS: ReadonlyArray<[string, unknown]> = [
      ['10,000 characters', LONG],
      ...ODD_VALUES.map((odd): [string, unknown] => [odd.label, odd.value]),
      ['a huge number', 1e308],
      ['a negative number', -1],
      ['an object', { $gt: '' }],
      ['an array', ['x']],
      ['null', null],
    ];
    const api = (name: string, body: string | Buffer | undefined, method = 'POST', contentType = 'application/json'): RawRequest => ({
      method,
      path: `/emulator/api/${name}`,
      body,
      headers: { 'content-type': contentType },
    });

    /** Answers a JSON error, or a JSON success. */
    function expectJsonAnswer(response: RawResponse, statuses: number[]): void {
      expect(response.status, response.text.slice(0, 300)).to.be.oneOf(statuses);
      expect(response.headers['content-type']).to.match(/^application\/json/);
      const body = jsonOf(response) as { error?: unknown };
      if (response.status >= 400) expect(body.error).to.be.a('string').that.is.not.empty;
    }

    /** After any of it: the API (its rid stamped with a sane time), the console and the state still answer. */
    async function expectAlive(emulator: Emulator): Promise<void> {
      await expectAnswer(emulator, 'cgi', { path: '/cgi-bin/user/get' }, 41001);
      for (const path of ['/emulator', '/emulator/api/state']) {
        const response = await send(emulator.url, { path });
        expectClean(response, emulator);
        expect(response.status, `${path}: ${response.text.slice(0, 300)}`).to.equal(200);
      }
    }

    for (const action of ACTIONS) {
      describe(`/emulator/api/${action.name}`, () => {
        const cases: Array<{ title: string; request: RawRequest; statuses: number[] }> = [
          { title: 'GET → 405', request: { path: `/emulator/api/${action.name}` }, statuses: [405] },
          { title: 'PUT → 405', request: api(action.name, '{}', 'PUT'), statuses: [405] },
          { title: 'a body that is not JSON → 400', request: api(action.name, 'not JSON'), statuses: [400] },
          { title: 'truncated JSON → 400', request: api(action.name, '{"nickname":'), statuses: [400] },
          { title: 'a JSON array → 400', request: api(action.name, '[{"nickname":"x"}]'), statuses: [400] },
          { title: 'JSON null → 400', request: api(action.name, 'null'), statuses: [400] },
          { title: 'a JSON string → 400', request: api(action.name, '"x"'), statuses: [400] },
          { title: 'invalid UTF-8 bytes → 400', request: api(action.name, Buffer.from([0xff, 0xfe, 0x7b])), statuses: [400] },
          { title: 'a body over 64 KiB → 413', request: api(action.name, JSON.stringify({ pad: 'x'.repeat(70_000) })), statuses: [413] },
          { title: 'an empty body → an answer', request: api(action.name, ''), statuses: [200, 201, 400] },
          ...Object.keys(action.good).flatMap((field) =>
            ODD_FIELDS.map(([label, value]) => ({
              title: `${field} as ${label} → an answer`,
              request: api(action.name, JSON.stringify({ ...action.good, [field]: value })),
              statuses: [200, 201, 400],
            })),
          ),
        ];
        for (const each of cases) {
          it(`${each.title}, and the emulator still answers`, async () => {
            const { emulator } = await prepare();
            const response = await send(emulator.url, each.request);
            expectClean(response, emulator);
            expectJsonAnswer(response, each.statuses);
            await expectAlive(emulator);
          });
        }
      });
    }

    for (const advance of [1e13, 1e308]) {
      it(`refuses to move the clock by ${advance} seconds, beyond any date (400), and keeps its time`, async () => {
        const { emulator } = await prepare();
        const before = emulator.snapshot().now;
        const response = await send(emulator.url, api('clock', JSON.stringify({ advance })));
        expectJsonAnswer(response, [400]);
        expect(emulator.snapshot().now - before).to.be.below(60_000);
        await expectAlive(emulator);
      });
    }

    it('a form with a bad field answers an HTML page with the problem (400)', async () => {
      const { emulator } = await prepare();
      const response = await send(emulator.url, api('users', 'nickname=', 'POST', 'application/x-www-form-urlencoded'));
      expectClean(response, emulator);
      expect(response.status).to.equal(400);
      expect(response.headers['content-type']).to.match(/^text\/html/);
      expect(response.text).to.include('&quot;nickname&quot; is required');
    });
  });

  describe('unknown paths', () => {
    const PATHS = [
      '/nope',
      '/cgi-bin/nope',
      '/cgi-bin/token/more',
      '/cgi-bin/TOKEN',
      '/sns/nope',
      '/connect/oauth2/nope',
      '/emulator/nope',
      '/emulator/api/nope',
      '/emulator/api/state/more',
      '/emulator/api/constructor',
      '/emulator/api/__proto__',
      '/emulator/api/toString',
      '/emulator/api/hasOwnProperty',
      '/emulator/avatar/oNobodyHasThisOpenid0000000x/132',
      '/emulator/avatar/x/133',
      '/%E4%B8',
      '/%00',
      '/cgi-bin/nope?appid=%00&secret=%E4%B8',
    ];
    for (const path of PATHS) {
      for (const method of ['GET', 'POST']) {
        it(`${method} ${path} → 404`, async () => {
          const { emulator } = await prepare();
          const response = await send(emulator.url, {
            method,
            path,
            body: method === 'POST' ? '{}' : undefined,
            headers: { 'content-type': 'application/json' },
          });
          expectClean(response, emulator);
          expect(response.status, response.text.slice(0, 300)).to.equal(404);
        });
      }
    }
  });
});
