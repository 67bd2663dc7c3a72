/**
 * Enforce means enforce, whatever the method: with the README's quick start (`session(app)`, then the one-line
 * `requireSubscription({ ..., enforce: true })`, then the followers-only handler), no OPTIONS or HEAD request
 * reaches the handler without a checked identity of a follower. A CORS preflight is answered by a CORS
 * middleware mounted before the gate, not by letting the gate wave it through.
 */
import { expect } from 'chai';
import type { Response } from 'supertest';
import { expectPage } from './support/answers.js';
import { browse, useDropInSite, type DropInSite } from './support/drop-in-site.js';

const SECRET = 'followers only';

/** The README's quick start, verbatim but for the emulator's URLs. */
function quickStart(s: ReturnType<typeof useDropInSite>): Promise<DropInSite> {
  return s.start({
    mount(app, dropIn) {
      app.use(dropIn({ enforce: true }));
      app.use((ctx) => {
        ctx.body = SECRET;
      });
    },
  });
}

function expectNoSecret(response: Response): void {
  expect(response.text ?? '', 'the followers-only body').not.to.include(SECRET);
}

describe('gate: an enforce gate holds for every method (README quick start)', () => {
  const site = useDropInSite();

  it('REGRESSION: OPTIONS without a cookie gets 401, not 200 with the followers-only body', async () => {
    const { visitor } = await quickStart(site);
    const response = await visitor().agent.options('/members/x').redirects(0);
    expectNoSecret(response);
    expect(response.status, response.text.slice(0, 200)).to.equal(401);
  });

  it('HEAD without a cookie is sent to WeChat or refused, and never answered by the handler', async () => {
    const { visitor, emulator } = await quickStart(site);
    const response = await visitor().agent.head('/members/x').set('Accept', 'text/html').redirects(0);
    // HEAD has no body to look at: the handler would answer 200.
    expect(response.status).not.to.equal(200);
    if (response.status === 302) expect(response.headers.location).to.match(new RegExp(`^${emulator.url}/connect/oauth2/authorize\\?`));
    else expect(response.status).to.equal(401);
  });

  it('REGRESSION: OPTIONS from a signed-in non-follower gets the 403 follow page, not the handler', async () => {
    const { visitor, emulator } = await quickStart(site);
    const browser = visitor();
    const signedIn = await browse(browser, emulator, '/members/x', { nickname: 'Visitor' });
    expectPage(signedIn.response, 403, 'wechat_not_subscribed');

    const options = await browser.agent.options('/members/x').set('Accept', 'text/html').redirects(0);
    expectNoSecret(options);
    expectPage(options, 403, 'wechat_not_subscribed');
    const head = await browser.agent.head('/members/x').set('Accept', 'text/html').redirects(0);
    expect(head.status).to.equal(403);
  });

  it('a signed-in follower gets the handler for GET, HEAD and OPTIONS', async () => {
    const { visitor, emulator } = await quickStart(site);
    const browser = visitor();
    const signedIn = await browse(browser, emulator, '/members/x', { nickname: 'Band' });
    expect(signedIn.response.status).to.equal(200);
    expect(signedIn.response.text).to.equal(SECRET);
    expect((await browser.agent.head('/members/x').redirects(0)).status).to.equal(200);
    const options = await browser.agent.options('/members/x').redirects(0);
    expect(options.status).to.equal(200);
    expect(options.text).to.equal(SECRET);
  });
});
