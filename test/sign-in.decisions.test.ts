/**
 * The sign-in flow's decisions, table by table, with no server: every loop breaker, every reuse rule, every
 * refusal. The end-to-end suites (callback.*, gate.*, middleware.*) are the safety net; these say why.
 */
import { expect } from 'chai';
import {
  decideCallback,
  decideDisowned,
  decideGatedRequest,
  decideGrant,
  type CallbackRequest,
  type ExchangeOutcome,
  type GatedRequest,
} from '../lib/sign-in/decide.js';
import { decodePending, encodePending, PENDING_LIFETIME_MS, readRecord, type PendingSignIn, type SignInRecord } from '../lib/sign-in/record.js';

const NOW = 1_800_000_000_000;
const MINUTE = 60_000;
const OPENID = 'oiEb6JNyz4XRUPErw_xsC2ZW9CdK';
const OTHER = 'oiEb6JNyz4XRUPErw_xsC2ZW9Xyz';

let minted = 0;
const mint = () => `state${String(++minted).padStart(27, '0')}`;

const identity = (ageMs: number, scope: 'snsapi_base' | 'snsapi_userinfo' = 'snsapi_base') => ({ openid: OPENID, scope, loginAt: NOW - ageMs });
const pending = (ageMs: number, overrides: Partial<PendingSignIn> = {}): PendingSignIn => ({
  state: 'pendingstate0000000000000000000001',
  returnTo: '/page',
  scope: 'snsapi_base',
  startedAt: NOW - ageMs,
  ...overrides,
});
const gated = (overrides: Partial<GatedRequest> = {}): GatedRequest => ({
  scope: 'snsapi_base',
  signInMaxAge: undefined,
  respond: 'redirect',
  returnTo: '/page',
  pending: [],
  justCompleted: undefined,
  ...overrides,
});
const callback = (overrides: Partial<CallbackRequest> = {}): CallbackRequest => ({
  state: 'pendingstate0000000000000000000001',
  code: 'thecode',
  pending: undefined,
  fallback: '/',
  cookiesSent: true,
  atPage: false,
  ...overrides,
});
const granted = (scope: 'snsapi_base' | 'snsapi_userinfo' = 'snsapi_base', snapshotUser = false): ExchangeOutcome => ({
  kind: 'granted',
  grant: { openid: OPENID, scope, snapshotUser },
});

describe('sign-in decisions: a gated request', () => {
  const rows: Array<[string, SignInRecord, Partial<GatedRequest>, string]> = [
    ['signed in: go on', { identity: identity(MINUTE) }, {}, 'proceed'],
    ['a snsapi_userinfo sign-in serves a snsapi_base route', { identity: identity(MINUTE, 'snsapi_userinfo') }, {}, 'proceed'],
    ['a snsapi_base sign-in does not serve a snsapi_userinfo route', { identity: identity(MINUTE) }, { scope: 'snsapi_userinfo' }, 'sign-in'],
    ['older than signInMaxAge: sign in again', { identity: identity(3 * MINUTE) }, { signInMaxAge: 120 }, 'sign-in'],
    ['within signInMaxAge: go on', { identity: identity(MINUTE) }, { signInMaxAge: 120 }, 'proceed'],
    ['nobody, a page: sign in', {}, {}, 'sign-in'],
    ['nobody, a CORS preflight: a bare 401, nothing started', {}, { respond: 'deny' }, 'refuse'],
    ['signed in, a CORS preflight: checked like any request', { identity: identity(MINUTE) }, { respond: 'deny' }, 'proceed'],
    [
      'REGRESSION: signed in a moment ago by a sign-in the session does not name (it lost the write): a page, not another trip',
      {},
      { justCompleted: 'completedstate' },
      'refuse',
    ],
    [
      'signed in a moment ago, the session names that sign-in (the identity went since, as after a 40003): sign in',
      { completed: { state: 'completedstate', returnTo: '/' } },
      { justCompleted: 'completedstate' },
      'sign-in',
    ],
  ];
  for (const [name, record, request, action] of rows) {
    it(name, () => expect(decideGatedRequest(record, gated(request), NOW, mint).action).to.equal(action));
  }

  it("a page reuses a sign-in under way for the same page and scope, while it has a code's life to live", () => {
    const young = pending(4 * MINUTE);
    const step = decideGatedRequest({}, gated({ pending: [young] }), NOW, mint);
    expect(step).to.include({ action: 'sign-in', isNew: false });
    expect(step.action === 'sign-in' && step.pending).to.equal(young);
    const old = decideGatedRequest({}, gated({ pending: [pending(6 * MINUTE)] }), NOW, mint);
    expect(old).to.include({ action: 'sign-in', isNew: true });
  });

  it('REGRESSION: a 401 reuses any live sign-in of its scope, so every authorizeUrl given stays usable', () => {
    const underWay = [pending(3 * MINUTE, { returnTo: '/a' }), pending(MINUTE, { returnTo: '/b', state: 'newest' })];
    const step = decideGatedRequest({}, gated({ respond: 'challenge', returnTo: '/api/me', pending: underWay }), NOW, mint);
    expect(step.action === 'sign-in' && [step.isNew, step.pending.state]).to.deep.equal([false, 'newest']);
    const page = decideGatedRequest({}, gated({ returnTo: '/api/me', pending: underWay }), NOW, mint);
    expect(page.action === 'sign-in' && page.isNew, 'a page of another path starts its own').to.equal(true);
    const otherScope = decideGatedRequest({}, gated({ respond: 'challenge', scope: 'snsapi_userinfo', pending: underWay }), NOW, mint);
    expect(otherScope.action === 'sign-in' && otherScope.isNew, 'never a sign-in of another scope').to.equal(true);
  });

  it("40003 drops the identity and signs in again, once; the same openid disowned again is WeChat's failure, not a loop", () => {
    const first = decideDisowned({ identity: identity(MINUTE) }, OPENID, gated(), NOW, mint);
    expect(first?.action).to.equal('sign-in');
    expect(first?.record).to.deep.include({ identity: undefined, disowned: OPENID });
    expect(decideDisowned({ identity: identity(MINUTE), disowned: OPENID }, OPENID, gated(), NOW, mint)).to.equal(undefined);
    expect(decideDisowned({ identity: identity(MINUTE), disowned: OTHER }, OPENID, gated(), NOW, mint)?.action).to.equal('sign-in');
  });
});

describe("sign-in decisions: WeChat's return", () => {
  const rows: Array<[string, SignInRecord, Partial<CallbackRequest>, Record<string, unknown>]> = [
    ['a state this browser holds, with a code: exchange', {}, { pending: pending(MINUTE) }, { action: 'exchange', code: 'thecode' }],
    ['login CSRF: a state this browser does not hold is never exchanged', {}, {}, { action: 'refuse', answer: 'stateMismatch' }],
    ['no cookie came at all: the browser blocks them', {}, { cookiesSent: false }, { action: 'refuse', answer: 'cookiesRequired' }],
    [
      'signed in by this very callback (WeChat called back twice): its page',
      { identity: identity(0), completed: { state: 'pendingstate0000000000000000000001', returnTo: '/deep' } },
      {},
      { action: 'continue', to: '/deep' },
    ],
    [
      'the same, WeChat returning to the gated page itself: that page',
      { identity: identity(0), completed: { state: 'pendingstate0000000000000000000001', returnTo: '/deep' } },
      { atPage: true, fallback: '/here' },
      { action: 'continue', to: '/here' },
    ],
    ['signed in just now by another tab: go on', { identity: identity(MINUTE) }, { fallback: '/here' }, { action: 'continue', to: '/here' }],
    [
      'an old identity and a state not held: refused (it may be what sent the visitor to WeChat)',
      { identity: identity(PENDING_LIFETIME_MS + 1) },
      {},
      { action: 'refuse' },
    ],
    [
      'no code (a refusal): WeChat once more',
      {},
      { code: undefined, pending: pending(MINUTE) },
      { action: 'sign-in', respond: 'redirect', isNew: true },
    ],
    [
      'no code, after a restart: the sign-in-failed page, never a loop',
      { restartedAt: NOW - MINUTE },
      { code: undefined, pending: pending(MINUTE) },
      { action: 'failed', retry: '/page' },
    ],
    ['an expired sign-in: WeChat once more, no exchange', {}, { pending: pending(PENDING_LIFETIME_MS + 1) }, { action: 'sign-in' }],
  ];
  for (const [name, record, request, expected] of rows) {
    it(name, () => expect(decideCallback(record, callback(request), NOW, mint)).to.deep.include(expected));
  }

  it('a restart keeps its page and scope, under a new state, and marks the record', () => {
    const step = decideCallback({}, callback({ code: undefined, pending: pending(MINUTE, { returnTo: '/x', scope: 'snsapi_userinfo' }) }), NOW, mint);
    expect(step.action).to.equal('sign-in');
    if (step.action !== 'sign-in') return;
    expect(step.pending).to.include({ returnTo: '/x', scope: 'snsapi_userinfo', startedAt: NOW });
    expect(step.pending.state).not.to.equal('pendingstate0000000000000000000001');
    expect(step.record.restartedAt).to.equal(NOW);
  });
});

describe("sign-in decisions: the exchange's outcome", () => {
  it("granted: signed in with the sign-in's scope, its page next, the restart forgotten, the disowned openid kept", () => {
    const step = decideGrant({ restartedAt: NOW - MINUTE, disowned: OTHER }, pending(MINUTE, { returnTo: '/x' }), granted(), NOW, mint);
    expect(step).to.deep.equal({
      action: 'continue',
      to: '/x',
      record: {
        identity: { openid: OPENID, scope: 'snsapi_base', loginAt: NOW },
        completed: { state: 'pendingstate0000000000000000000001', returnTo: '/x' },
        disowned: OTHER,
      },
    });
  });

  it('REGRESSION: a snsapi_userinfo sign-in granted snsapi_base (the URL was edited) is a refusal, never a profile call', () => {
    const asked = pending(MINUTE, { scope: 'snsapi_userinfo' });
    expect(decideGrant({}, asked, granted('snsapi_base'), NOW, mint).action).to.equal('sign-in');
    expect(decideGrant({ restartedAt: NOW }, asked, granted('snsapi_base'), NOW, mint).action).to.equal('failed');
    expect(decideGrant({}, asked, granted('snsapi_userinfo'), NOW, mint).action).to.equal('continue');
  });

  it("a snapshot page's virtual user is signed in as such", () => {
    const step = decideGrant({}, pending(MINUTE, { scope: 'snsapi_userinfo' }), granted('snsapi_base', true), NOW, mint);
    expect(step.action === 'continue' && step.record.identity).to.deep.include({ snapshotUser: true });
  });

  it('a refused code: once more; an identity newer than this sign-in (the other callback of a pair won) goes on', () => {
    const refused: ExchangeOutcome = { kind: 'refused' };
    expect(decideGrant({}, pending(MINUTE), refused, NOW, mint).action).to.equal('sign-in');
    expect(decideGrant({ identity: identity(0) }, pending(MINUTE), refused, NOW, mint)).to.deep.include({ action: 'continue', to: '/page' });
    // REGRESSION (signInMaxAge): an identity older than the sign-in is what sent the visitor to WeChat, and does not count.
    expect(decideGrant({ identity: identity(2 * MINUTE) }, pending(MINUTE), refused, NOW, mint).action).to.equal('sign-in');
  });

  it('cannot loop: with every code refused, a visitor makes at most two trips to WeChat before a page', () => {
    let record: SignInRecord = {};
    let trips = 0;
    let step: ReturnType<typeof decideGatedRequest> | ReturnType<typeof decideGrant> = decideGatedRequest(record, gated(), NOW, mint);
    for (let hop = 0; hop < 10 && step.action === 'sign-in'; hop++) {
      trips++;
      record = step.record;
      const back = decideCallback(record, callback({ state: step.pending.state, pending: step.pending }), NOW, mint);
      expect(back.action).to.equal('exchange');
      if (back.action !== 'exchange') break;
      step = decideGrant(record, back.pending, { kind: 'refused' }, NOW, mint);
    }
    expect(trips).to.equal(2);
    expect(step.action).to.equal('failed');
  });
});

describe('sign-in decisions: what is written down', () => {
  it('a sign-in under way round-trips through its cookie value, with or without its return path', () => {
    const under = pending(MINUTE, { returnTo: '/x?y=1', scope: 'snsapi_userinfo' });
    expect(decodePending(under.state, encodePending(under, true), '/elsewhere')).to.deep.equal(under);
    expect(decodePending(under.state, encodePending(under, false), '/x?y=1')).to.deep.equal(under);
  });

  it('refuses a cookie value that is not one, or names a return path off the site', () => {
    const offSite = Buffer.from(JSON.stringify({ s: 'b', t: NOW, r: '//evil.example' })).toString('base64url');
    for (const value of ['', 'used', 'not base64 json', offSite]) expect(decodePending('state1', value, '/'), value).to.equal(undefined);
  });

  it('reads a session record field by field, dropping what does not fit', () => {
    const record = readRecord(
      {
        identity: { openid: 'bad openid!', scope: 'snsapi_base', loginAt: 1 },
        completed: { state: 's', returnTo: '/' },
        restartedAt: NOW - 6 * MINUTE,
        disowned: OTHER,
      },
      NOW,
    );
    expect(record).to.deep.equal({ completed: { state: 's', returnTo: '/' }, disowned: OTHER });
  });
});
