/**
 * Setup mistakes are the developer's, and are told to the developer: koa-session mounted after the gate is a
 * 500 with a `WeChatSetupError` that names the order, never a page that tells the visitor to allow cookies;
 * and a `callbackPath` that is also a gated page still signs the visitor in on that page.
 */
import { expect } from 'chai';
import session from 'koa-session';
import { WeChatSetupError } from '../lib/errors.js';
import { echoOf } from './support/answers.js';
import { browse, describeBrowse, useDropInSite, type Browsed } from './support/drop-in-site.js';
import { echoState, useSite } from './support/site.js';

function setupErrors(errors: unknown[]): WeChatSetupError[] {
  return errors.filter((error): error is WeChatSetupError => error instanceof WeChatSetupError);
}

/** The browser's trip ended on a 500, and the app's 'error' event holds a WeChatSetupError that names the order. */
function expectSetupErrorAnswer(browsed: Browsed, errors: unknown[]): void {
  expect(browsed.response.text, describeBrowse(browsed)).not.to.include('wechat_cookies_required');
  expect(browsed.response.status, describeBrowse(browsed)).to.equal(500);
  const [error] = setupErrors(errors);
  expect(error, `a WeChatSetupError among the app's errors: ${errors.map(String).join(' | ')}`).to.be.instanceOf(WeChatSetupError);
  expect(error!.message)
    .to.match(/session/i)
    .and.to.match(/before requireSubscription/);
}

describe('gate: setup errors name the fix', () => {
  const site = useDropInSite();

  it('REGRESSION: koa-session mounted after the gate (session(app) made after it) is a 500 WeChatSetupError naming the order, not wechat_cookies_required', async () => {
    const { emulator, visitor, errors } = await site.start({
      session: false,
      mount(app, dropIn) {
        app.use(dropIn());
        app.use(session(app));
        app.use(echoState);
      },
    });
    // Detected on the first gated request or at the callback: either way the browser's trip ends on the 500.
    expectSetupErrorAnswer(await browse(visitor(), emulator, '/page', { nickname: 'Band' }), errors);
  });

  it('REGRESSION: koa-session made before the gate but mounted after it is a 500 WeChatSetupError naming the order, not wechat_cookies_required', async () => {
    const { emulator, visitor, errors } = await site.start({
      session: false,
      mount(app, dropIn) {
        const sessions = session(app);
        app.use(dropIn());
        app.use(sessions);
        app.use(echoState);
      },
    });
    expectSetupErrorAnswer(await browse(visitor(), emulator, '/page', { nickname: 'Band' }), errors);
  });

  it('REGRESSION: a callbackPath equal to a gated page (/page) signs the follower in on that page, not a 400', async () => {
    const { emulator, visitor } = await site.start({
      mount(app, dropIn) {
        app.use(dropIn({ callbackPath: '/page' }));
        app.use(echoState);
      },
    });
    const browsed = await browse(visitor(), emulator, '/page', { nickname: 'Band' });
    expect(browsed.ended, describeBrowse(browsed)).to.equal(true);
    expect(browsed.response.status, describeBrowse(browsed)).to.equal(200);
    expect(echoOf(browsed.response)).to.include({ path: '/page', openid: emulator.findUser('Band')!.openid, isConcern: true });
  });
});

/** `app.keys` as a setup leaves them by mistake; `[undefined]` is the README's `[process.env.SESSION_KEY]` with the variable unset. */
const MISTAKEN_KEYS: ReadonlyArray<{ name: string; keys: unknown[] }> = [
  { name: 'an empty list', keys: [] },
  { name: '[undefined] (SESSION_KEY unset)', keys: [undefined] },
  { name: "[''] (SESSION_KEY set to nothing)", keys: [''] },
  { name: 'a good key and an undefined one', keys: ['a long random key for the session', undefined] },
];

/** A 500 for the visitor, without the fix's words or a stack; the app's 'error' event holds a WeChatSetupError naming app.keys. */
function expectKeysSetupError(response: { status: number; text: string }, errors: unknown[]): void {
  expect(response.status).to.equal(500);
  expect(response.text).not.to.match(/app\.keys|TypeError|\n\s+at /);
  const found = setupErrors(errors);
  expect(found, `the app's errors: ${errors.map(String).join(' | ')}`).to.have.length.of.at.least(1);
  expect(
    errors.filter((error) => !(error instanceof WeChatSetupError)),
    "no other error (keygrip's TypeError)",
  ).to.deep.equal([]);
  expect(found[0]!.message)
    .to.include('app.keys')
    .and.to.match(/non-empty string|long random/);
}

describe('gate: keys that cannot sign are a setup error that names app.keys', () => {
  const dropInSite = useDropInSite();
  const site = useSite();

  for (const { name, keys } of MISTAKEN_KEYS) {
    it(`REGRESSION: the drop-in with app.keys ${name} is a 500 WeChatSetupError naming app.keys, not keygrip's TypeError`, async () => {
      const { visitor, errors } = await dropInSite.start({
        mount(app, dropIn) {
          app.keys = keys as string[];
          app.use(dropIn());
          app.use(echoState);
        },
      });
      expectKeysSetupError(await visitor().get('/page'), errors);
    });

    it(`REGRESSION: createWeChat's callback route and gate with app.keys ${name}: the same`, async () => {
      const s = await site.start({ keys, wechat: { callbackPath: '/wechat/callback' } });
      // Each request is judged by its own errors only.
      expectKeysSetupError(await s.visitor().get('/page'), s.errors.splice(0));
      expectKeysSetupError(await s.visitor().get('/wechat/callback?code=x&state=abc'), s.errors.splice(0));
    });
  }
});
