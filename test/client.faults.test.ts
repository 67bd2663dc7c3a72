import { expect } from 'chai';
import { WeChatApiError, WeChatError, WeChatUnavailableError, type UnavailableReason } from '../lib/index.js';
import { CALLS, success } from './support/calls.js';
import { closedPort, errcode, hang, raw, reset, type Handler } from './support/fake-wechat.js';
import { useFakeWeChat } from './support/harness.js';
import { HANG_TIMEOUT, makeClient, rejectionOf } from './support/fixtures.js';

/** What each upstream fault must become: the error's reason, its HTTP status, and whether a retry can help. */
const FAULTS: Array<{ label: string; handler: Handler; reason: UnavailableReason; status: number; retried: boolean; timeout?: number }> = [
  {
    label: 'an HTML 500 page',
    handler: raw(500, '<html><body><h1>500 Internal Server Error</h1></body></html>'),
    reason: 'http_status',
    status: 502,
    retried: true,
  },
  { label: 'a 404 page', handler: raw(404, '<html>not found</html>'), reason: 'http_status', status: 502, retried: false },
  { label: 'a redirect, which is never followed', handler: raw(302, ''), reason: 'http_status', status: 502, retried: false },
  {
    label: 'truncated JSON',
    handler: raw(200, '{"access_token":"86_abc","expi', 'application/json'),
    reason: 'invalid_response',
    status: 502,
    retried: false,
  },
  {
    label: 'an HTML page with status 200',
    handler: raw(200, '<!DOCTYPE html><html>captive portal</html>'),
    reason: 'invalid_response',
    status: 502,
    retried: false,
  },
  { label: 'an empty body', handler: raw(200, '', 'application/json'), reason: 'invalid_response', status: 502, retried: false },
  { label: 'a JSON array', handler: raw(200, '[]', 'application/json'), reason: 'invalid_response', status: 502, retried: false },
  { label: 'JSON null', handler: raw(200, 'null', 'application/json'), reason: 'invalid_response', status: 502, retried: false },
  {
    label: 'a non-numeric errcode',
    handler: raw(200, '{"errcode":"oops","errmsg":"?"}', 'application/json'),
    reason: 'invalid_response',
    status: 502,
    retried: false,
  },
  { label: 'a connection cut without an answer', handler: reset, reason: 'network', status: 503, retried: true },
  { label: 'no answer within the timeout', handler: hang, timeout: HANG_TIMEOUT, reason: 'timeout', status: 503, retried: true },
];

describe('faults, for every call', () => {
  const fake = useFakeWeChat();

  for (const call of CALLS) {
    describe(call.name, () => {
      const setup = (handlers: Handler[], timeout?: number) => fake.start({ [call.route]: handlers }, timeout === undefined ? {} : { timeout });

      it('reads JSON served as text/plain', async () => {
        await call.run(await setup([success(call)]));
      });

      it('reads errcode 0, a number or a string, as success', async () => {
        const client = await setup([success(call, { errcode: 0, errmsg: 'ok' }), success(call, { errcode: '0', errmsg: 'ok' })]);
        await call.run(client);
        await call.run(client);
      });

      for (const fault of FAULTS) {
        const attempts = fault.retried && call.idempotent ? 3 : 1;
        it(`turns ${fault.label} into a ${fault.status} "${fault.reason}" error after ${attempts} attempt(s)`, async () => {
          const error = await rejectionOf(call.run(await setup([fault.handler], fault.timeout)));
          expect(error).to.be.instanceOf(WeChatUnavailableError);
          expect(error).to.be.instanceOf(WeChatError);
          const unavailable = error as WeChatUnavailableError;
          expect(unavailable.reason).to.equal(fault.reason);
          expect(unavailable.status).to.equal(fault.status);
          expect(unavailable.expose).to.be.false;
          expect(unavailable.code).to.equal('ERR_WECHAT_UNAVAILABLE');
          expect(unavailable.endpoint).to.equal(call.route);
          expect(unavailable.message).to.match(/^WeChat could not be reached: /);
          expect(fake.server.calls(call.path)).to.have.length(attempts);
        });
      }

      it('turns a refused connection into a 503 "network" error', async () => {
        const client = fake.adopt(makeClient(await closedPort()));
        const error = (await rejectionOf(call.run(client))) as WeChatUnavailableError;
        expect([error.reason, error.status]).to.deep.equal(['network', 503]);
        expect(error.message).to.contain('ECONNREFUSED');
        expect((error.cause as { code?: string }).code).to.equal('ECONNREFUSED');
      });

      if (call.idempotent) {
        it('recovers when a 5xx and then a -1 pass', async () => {
          await call.run(await setup([raw(503, 'busy'), errcode(-1), success(call)]));
          expect(fake.server.calls(call.path)).to.have.length(3);
        });
      } else {
        it('does not retry -1: the code would be spent', async () => {
          const error = (await rejectionOf(call.run(await setup([errcode(-1), success(call)])))) as WeChatApiError;
          expect(error.errcode).to.equal(-1);
          expect(fake.server.calls(call.path)).to.have.length(1);
        });
      }

      it('fails at once on 40125, with a typed error', async () => {
        const error = (await rejectionOf(call.run(await setup([errcode(40125, 'invalid appsecret'), success(call)])))) as WeChatApiError;
        expect(error).to.be.instanceOf(WeChatApiError);
        expect([error.errcode, error.code, error.path]).to.deep.equal([40125, 'ERR_WECHAT_API', call.path]);
        expect(fake.server.calls(call.path)).to.have.length(1);
      });
    });
  }

  it('makes a single attempt when retries are turned off (retries: 0)', async () => {
    const client = await fake.start({ 'GET /cgi-bin/token': raw(500, 'down') }, { retry: { retries: 0 } });
    await rejectionOf(client.fetchClassicToken());
    expect(fake.server.requests).to.have.length(1);
  });
});
