/**
 * The callback checks the scope WeChat granted against the one the sign-in asked for. A visitor who rewrites a
 * snsapi_userinfo authorize URL to scope=snsapi_base (WeChat then grants a silent snsapi_base code) has refused
 * the profile: they are sent through WeChat once more, then see the sign-in-failed page. The site never asks
 * /sns/userinfo with a snsapi_base token, so no visitor can make it emit WeChat's 48001.
 */
import { expect } from 'chai';
import { WeChatApiError } from '../lib/errors.js';
import { expectPage } from './support/answers.js';
import { browse, describeBrowse, useDropInSite } from './support/drop-in-site.js';
import { echoState, type Visitor } from './support/site.js';

const SNS_USERINFO = '/sns/userinfo';

/** WeChat's side, played by a visitor who edits the address bar: every authorize URL asks for snsapi_base instead. */
function downgrading(browser: Visitor, scopes: string[]) {
  return (authorizeUrl: string): Promise<URL> => {
    const url = new URL(authorizeUrl);
    scopes.push(url.searchParams.get('scope')!);
    url.searchParams.set('scope', 'snsapi_base');
    return browser.authorize(url.href, { nickname: 'Band' });
  };
}

describe('gate: the callback checks the granted scope', () => {
  const site = useDropInSite();

  it('REGRESSION: a snsapi_userinfo sign-in rewritten to snsapi_base is a refusal (once through WeChat again, then 400 wechat_sign_in_failed), not the 502 page and no 48001', async () => {
    const { emulator, visitor, errors } = await site.start({
      mount(app, dropIn) {
        app.use(dropIn({ scope: 'snsapi_userinfo' }));
        app.use(echoState);
      },
    });
    const browser = visitor();
    const asked: string[] = [];
    const browsed = await browse(browser, emulator, '/profile', { nickname: 'Band' }, { wechat: downgrading(browser, asked) });

    expect(browsed.ended, describeBrowse(browsed)).to.equal(true);
    expectPage(browsed.response, 400, 'wechat_sign_in_failed');
    expect(browsed.trips, `the restart happens once: ${describeBrowse(browsed)}`).to.equal(2);
    expect(asked, 'the site asked for snsapi_userinfo each time').to.deep.equal(['snsapi_userinfo', 'snsapi_userinfo']);
    expect(emulator.calls(SNS_USERINFO), '/sns/userinfo calls with the snsapi_base token').to.equal(0);
    const refused48001 = errors.filter((error) => error instanceof WeChatApiError && error.errcode === 48001);
    expect(refused48001, 'WeChatApiError 48001 emitted').to.have.length(0);
  });

  it('the same route without the rewrite signs the visitor in with the profile (the scope check refuses only a downgrade)', async () => {
    const { emulator, visitor } = await site.start({
      mount(app, dropIn) {
        app.use(dropIn({ scope: 'snsapi_userinfo' }));
        app.use(echoState);
      },
    });
    const browsed = await browse(visitor(), emulator, '/profile', { nickname: 'Band' });
    expect(browsed.response.status, describeBrowse(browsed)).to.equal(200);
    expect(browsed.trips).to.equal(1);
    expect(emulator.calls(SNS_USERINFO)).to.equal(1);
  });
});
