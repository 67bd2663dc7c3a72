import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { WeChatError } from '../lib/index.js';
import { CALLS } from './support/calls.js';
import { closedPort, hang, json, raw, reset, type Handler } from './support/fake-wechat.js';
import { useFakeWeChat } from './support/harness.js';
import { ACCESS_TOKEN, CODE, HANG_TIMEOUT, OAUTH_TOKEN, REFRESH_TOKEN, makeClient, rejectionOf } from './support/fixtures.js';
import { leaksIn, serializations } from './support/leak-scan.js';

/** The worst upstream: one that echoes the whole request (URL and body) back into its answer. */
const echoed = (request: { rawUrl: string; body: string }): string => `${request.rawUrl} ${request.body}`;

const FAILURES: Array<{ label: string; handler: Handler }> = [
  {
    label: 'an errcode whose errmsg echoes the request',
    handler: (req, res) => json({ errcode: 40001, errmsg: `invalid ${echoed(req)} rid: 1a-2b` })(req, res),
  },
  { label: 'an errcode -1 (retried) echoing the request', handler: (req, res) => json({ errcode: -1, errmsg: echoed(req) })(req, res) },
  { label: 'an HTML 500 page echoing the request', handler: (req, res) => raw(500, `<html><pre>${echoed(req)}</pre></html>`)(req, res) },
  { label: 'a 200 HTML page echoing the request', handler: (req, res) => raw(200, `<html>${echoed(req)}</html>`)(req, res) },
  {
    label: 'a success without its fields, echoing the request',
    handler: (req, res) => json({ user_info_list: [{ echo: echoed(req) }], echo: echoed(req) })(req, res),
  },
  // A fresh token that the client has never seen, so only the field name can tell it is a secret.
  {
    label: 'truncated JSON that carries a fresh token',
    handler: raw(200, `{"access_token":"${ACCESS_TOKEN}","refresh_token":"${REFRESH_TOKEN}","expi`, 'text/plain'),
  },
  {
    label: 'an HTML 502 page that shows a token field',
    handler: raw(502, `<pre>access_token=${ACCESS_TOKEN}&amp;refresh_token=${REFRESH_TOKEN}</pre>`),
  },
  { label: 'a cut connection', handler: reset },
  { label: 'a timeout', handler: hang },
];

describe('secrets never leak', () => {
  const fake = useFakeWeChat();

  for (const call of CALLS) {
    describe(call.name, () => {
      for (const failure of FAILURES) {
        it(`keeps every secret out of the error for ${failure.label}`, async () => {
          const client = await fake.start({ [call.route]: failure.handler }, { timeout: HANG_TIMEOUT });
          const error = await rejectionOf(call.run(client));
          expect(error).to.be.instanceOf(WeChatError);
          // The request did carry secrets (so an echo of it would leak them) ...
          expect(fake.server.requests.map(echoed).flatMap((text) => leaksIn(text))).not.to.be.empty;
          // ... and none of them reaches any serialization of the error.
          for (const text of serializations(error)) expect(leaksIn(text), text).to.deep.equal([]);
        });
      }

      it('keeps every secret out of the error for a refused connection', async () => {
        const client = fake.adopt(makeClient(await closedPort()));
        const error = await rejectionOf(call.run(client));
        for (const text of serializations(error)) expect(leaksIn(text), text).to.deep.equal([]);
      });
    });
  }

  it('never echoes a malformed token or code, nor a token given as an openid, in an argument error', async () => {
    const client = fake.adopt(makeClient('http://127.0.0.1:9'));
    const errors = [
      await rejectionOf(client.exchangeCode(`${CODE} `)),
      await rejectionOf(client.fetchUserInfo({ accessToken: `${ACCESS_TOKEN}\n`, openid: 'oABC' })),
      await rejectionOf(client.fetchSnsUserInfo({ accessToken: ` ${OAUTH_TOKEN}`, openid: 'oABC' })),
      // A token put in the openid field by mistake.
      await rejectionOf(client.fetchUserInfo({ accessToken: ACCESS_TOKEN, openid: `${REFRESH_TOKEN}.` })),
    ];
    for (const error of errors) {
      for (const text of serializations(error)) expect(leaksIn(text), text).to.deep.equal([]);
    }
  });

  it('writes redacted debug lines under NODE_DEBUG=koa-wechat-subscription, and is silent without it', async () => {
    const probe = fileURLToPath(new URL('./support/debug-probe.ts', import.meta.url));
    // Under `npm run coverage` the child would write V8 coverage too (Node passes NODE_V8_COVERAGE on unless the
    // env names it), and c8's merge of a process that loaded a file without running it garbles its line counts.
    const run = (nodeDebug: string) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', probe], {
        env: { ...process.env, NODE_DEBUG: nodeDebug, NODE_V8_COVERAGE: '' },
        timeout: 30_000,
      });
    const loud = await run('koa-wechat-subscription');
    const output = loud.stdout + loud.stderr;
    // The probe made every call, through success and failure: the lines are there, with the secrets masked.
    expect(output).to.match(
      /KOA-WECHAT-SUBSCRIPTION \d+: GET http:\/\/127\.0\.0\.1:\d+\/cgi-bin\/token\?grant_type=client_credential&appid=wxb11529c136998cb6&secret=\*\*\* -> ok/,
    );
    expect(output).to.contain(
      '/sns/oauth2/access_token?appid=wxb11529c136998cb6&secret=***&code=***&grant_type=authorization_code -> WeChat API error 40163',
    );
    expect(output).to.contain('/cgi-bin/user/info?access_token=***&openid=');
    expect(output).to.contain('attempt 3');
    expect(output).to.contain('probe done');
    expect(leaksIn(output)).to.deep.equal([]);

    const quiet = await run('');
    expect(quiet.stderr).not.to.contain('KOA-WECHAT-SUBSCRIPTION');
    expect(quiet.stdout).to.contain('probe done');
    expect(leaksIn(quiet.stdout + quiet.stderr)).to.deep.equal([]);
  });
});
