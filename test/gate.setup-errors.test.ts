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
import { echoState } from './support/site.js';

function setupErrors(errors: unknown[]): WeChatSetupError[] {
  return errors.filter((error): error is WeChatSetupError => error instanceof WeChatSetupError);
}

/** The browser's trip ended on a 500, and the app's 'error' event holds a WeChatSetupError that names the order. */
function expectSetupErrorAnswer(browsed: Browsed, errors: unknown[]): void {
  expect(browsed.response.text, describeBrowse(browsed)).not.to.include('wechat_cookies_required');
  expect(browsed.response.status, describeBrowse(browsed)).to.equal(500);
  const [error] = setupErrors(errors);
  expect(error, `a WeChatSetupError among the app's errors: ${errors.map(String).join(' | ')}`).to.be.instanceOf(WeChatSetupError);
  expect(error!.message).to.match(/session/i).and.to.match(/before requireSubscription/);
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
