/**
 * The client against the emulator: every call succeeds on WeChat's real shapes, and every fault and errcode
 * the emulator can produce becomes the typed error the foundation promised, after the promised attempts.
 * (The canned-answer tests in client.*.test.ts keep what no WeChat produces: truncated JSON, wrong shapes.)
 */
import { expect } from 'chai';
import { WeChatApiError, WeChatClient, WeChatUnavailableError, type UnavailableReason } from '../lib/index.js';
import { BATCH_LIMIT } from '../lib/client/client.js';
import type { Emulator, FaultKind } from '../lib/emulator/index.js';
import { authorizeAs, codeOf, useEmulator } from './support/emulator.js';
import { HANG_TIMEOUT, rejectionOf } from './support/fixtures.js';

interface EmulatedCall {
  name: string;
  path: string;
  idempotent: boolean;
  /** Makes the call with real credentials from the emulator (a fresh code, a live token). */
  run(client: WeChatClient, emulator: Emulator): Promise<unknown>;
}

const bandOf = (emulator: Emulator) => emulator.findUser('Band')!.openid;
const globalToken = async (client: WeChatClient) => (await client.fetchStableToken()).access_token;

const CALLS: readonly EmulatedCall[] = [
  { name: 'fetchClassicToken', path: '/cgi-bin/token', idempotent: true, run: (client) => client.fetchClassicToken() },
  { name: 'fetchStableToken', path: '/cgi-bin/stable_token', idempotent: true, run: (client) => client.fetchStableToken() },
  {
    name: 'exchangeCode',
    path: '/sns/oauth2/access_token',
    idempotent: false,
    run: async (client) => client.exchangeCode(codeOf(await authorizeAs(client, 'Band'))),
  },
  {
    name: 'fetchSnsUserInfo',
    path: '/sns/userinfo',
    idempotent: true,
    run: async (client) => {
      const grant = await client.exchangeCode(codeOf(await authorizeAs(client, 'Band', { scope: 'snsapi_userinfo' })));
      return client.fetchSnsUserInfo({ accessToken: grant.access_token, openid: grant.openid });
    },
  },
  {
    name: 'fetchUserInfo',
    path: '/cgi-bin/user/info',
    idempotent: true,
    run: async (client, emulator) => client.fetchUserInfo({ accessToken: await globalToken(client), openid: bandOf(emulator) }),
  },
  {
    name: 'fetchUserInfoBatch',
    path: '/cgi-bin/user/info/batchget',
    idempotent: true,
    run: async (client, emulator) => client.fetchUserInfoBatch({ accessToken: await globalToken(client), openids: [bandOf(emulator)] }),
  },
];

/** What each emulated fault must become. */
const FAULTS: Array<{
  kind: FaultKind;
  error: typeof WeChatApiError | typeof WeChatUnavailableError;
  reason?: UnavailableReason;
  errcode?: number;
  status: number;
  retried: boolean;
}> = [
  { kind: 'busy', error: WeChatApiError, errcode: -1, status: 503, retried: true },
  { kind: 'quota', error: WeChatApiError, errcode: 45009, status: 503, retried: false },
  { kind: 'html500', error: WeChatUnavailableError, reason: 'http_status', status: 502, retried: true },
  { kind: 'hang', error: WeChatUnavailableError, reason: 'timeout', status: 503, retried: true },
  { kind: 'reset', error: WeChatUnavailableError, reason: 'network', status: 503, retried: true },
];

describe('the client against the emulator', () => {
  const h = useEmulator();

  for (const call of CALLS) {
    describe(call.name, () => {
      it('succeeds with one call of its endpoint', async () => {
        const { client, emulator } = await h.start();
        await call.run(client, emulator);
        expect(emulator.calls(call.path)).to.equal(1);
      });

      for (const fault of FAULTS) {
        const attempts = fault.retried && call.idempotent ? 3 : 1;
        it(`turns the "${fault.kind}" fault into a ${fault.status} ${fault.error.name} after ${attempts} attempt(s)`, async () => {
          const { client, emulator } = await h.start({}, { timeout: fault.kind === 'hang' ? HANG_TIMEOUT : 2 });
          emulator.injectFault(call.path, fault.kind, 10);
          const error = await rejectionOf(call.run(client, emulator));
          expect(error).to.be.instanceOf(fault.error);
          expect((error as WeChatApiError).status).to.equal(fault.status);
          if (fault.errcode !== undefined) expect((error as WeChatApiError).errcode).to.equal(fault.errcode);
          if (fault.reason !== undefined) expect((error as WeChatUnavailableError).reason).to.equal(fault.reason);
          expect(emulator.calls(call.path)).to.equal(attempts);
        });
      }

      if (call.idempotent) {
        it('recovers when a -1 and an HTML 500 pass', async () => {
          const { client, emulator } = await h.start();
          emulator.injectFault(call.path, 'busy');
          emulator.injectFault(call.path, 'html500');
          await call.run(client, emulator);
          expect(emulator.calls(call.path)).to.equal(3);
        });
      }
    });
  }

  describe('errcodes from the emulator', () => {
    it('a wrong secret: 40125, a config error, not retried, on every call that sends it', async () => {
      const { emulator } = await h.start();
      const wrong = new WeChatClient({ appId: emulator.appId, appSecret: 'not-the-real-secret', apiBaseUrl: emulator.url });
      try {
        for (const run of [
          () => wrong.fetchClassicToken(),
          () => wrong.fetchStableToken(),
          () => wrong.exchangeCode('061AnyCode000000000000000000000A'),
        ]) {
          const error = (await rejectionOf(run())) as WeChatApiError;
          expect([error.errcode, error.category, error.status]).to.deep.equal([40125, 'config', 502]);
        }
        expect(emulator.counters()).to.deep.equal({ '/cgi-bin/stable_token': 1, '/cgi-bin/token': 1, '/sns/oauth2/access_token': 1 });
      } finally {
        wrong.close();
      }
    });

    it('a replaced token: 40001, a token error, not retried by the client', async () => {
      const { client, emulator } = await h.start();
      const accessToken = await globalToken(client);
      emulator.revokeToken();
      const error = (await rejectionOf(client.fetchUserInfo({ accessToken, openid: bandOf(emulator) }))) as WeChatApiError;
      expect([error.errcode, error.category]).to.deep.equal([40001, 'token']);
      expect(emulator.calls('/cgi-bin/user/info')).to.equal(1);
    });

    it('an expired token: 42001, a token error', async () => {
      const { client, emulator } = await h.start();
      const accessToken = await globalToken(client);
      emulator.advanceClock(7200);
      const error = (await rejectionOf(client.fetchUserInfo({ accessToken, openid: bandOf(emulator) }))) as WeChatApiError;
      expect([error.errcode, error.category]).to.deep.equal([42001, 'token']);
    });

    it('an openid of another app: 40003, a 400-class error', async () => {
      const { client } = await h.start();
      const error = (await rejectionOf(
        client.fetchUserInfo({ accessToken: await globalToken(client), openid: 'oOtherAppUser000000000000000' }),
      )) as WeChatApiError;
      expect([error.errcode, error.category, error.status]).to.deep.equal([40003, 'openid', 400]);
    });

    it('used and expired codes: 40163 and 40029, 400-class errors that say to authorize again', async () => {
      const { client, emulator } = await h.start();
      const used = codeOf(await authorizeAs(client, 'Band'));
      await client.exchangeCode(used);
      const stale = codeOf(await authorizeAs(client, 'Band'));
      emulator.advanceClock(300);
      for (const [code, errcode] of [
        [used, 40163],
        [stale, 40029],
      ] as const) {
        const error = (await rejectionOf(client.exchangeCode(code))) as WeChatApiError;
        expect([error.errcode, error.category, error.status, error.expose]).to.deep.equal([errcode, 'code', 400, true]);
      }
    });

    it('a snsapi_base token on /sns/userinfo: 48001, a config error', async () => {
      const { client } = await h.start();
      const grant = await client.exchangeCode(codeOf(await authorizeAs(client, 'Band')));
      const error = (await rejectionOf(client.fetchSnsUserInfo({ accessToken: grant.access_token, openid: grant.openid }))) as WeChatApiError;
      expect([error.errcode, error.category]).to.deep.equal([48001, 'config']);
    });

    it('the daily quota: 45009, not retried', async () => {
      const { client, emulator } = await h.start({ dailyQuota: { token: 1 } });
      await client.fetchClassicToken();
      const error = (await rejectionOf(client.fetchClassicToken())) as WeChatApiError;
      expect([error.errcode, error.category, error.status]).to.deep.equal([45009, 'quota', 503]);
      expect(emulator.calls('/cgi-bin/token')).to.equal(2);
    });
  });

  describe('shapes', () => {
    it(`splits 250 openids into 3 batchget calls of at most ${BATCH_LIMIT}, answers in the order asked`, async () => {
      const users = Array.from({ length: 250 }, (_, i) => ({ nickname: `user${i}`, subscribed: i % 2 === 1 }));
      const { client, emulator } = await h.start({ users });
      const openids = emulator
        .users()
        .map((user) => user.openid)
        .reverse();
      const answers = await client.fetchUserInfoBatch({ accessToken: await globalToken(client), openids });
      expect(answers.map((answer) => answer.openid)).to.deep.equal(openids);
      expect(answers.map((answer) => answer.subscribe)).to.deep.equal(openids.map((openid) => (emulator.findUser(openid)!.subscribed ? 1 : 0)));
      expect(emulator.calls('/cgi-bin/user/info/batchget')).to.equal(3);
    });

    it('reads the code exchange’s text/plain JSON, and passes is_snapshotuser through', async () => {
      const { client } = await h.start();
      const snapshot = await client.exchangeCode(
        codeOf(await authorizeAs(client, 'Band', { scope: 'snsapi_userinfo', extra: { emulator_snapshot: '1' } })),
      );
      expect(snapshot.is_snapshotuser).to.equal(1);
    });

    it('types a follower and a non-follower as WeChat shapes them', async () => {
      const { client, emulator } = await h.start();
      const accessToken = await globalToken(client);
      const follower = await client.fetchUserInfo({ accessToken, openid: bandOf(emulator) });
      const visitor = await client.fetchUserInfo({ accessToken, openid: emulator.findUser('Visitor')!.openid, lang: 'en' });
      expect(follower.subscribe === 1 && [follower.nickname, follower.headimgurl, typeof follower.subscribe_time]).to.deep.equal(['', '', 'number']);
      expect(visitor).to.have.keys(['subscribe', 'openid', 'tagid_list']);
    });
  });
});
