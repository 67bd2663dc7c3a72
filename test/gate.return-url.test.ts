/**
 * WeChat returns the visitor to the gated URL itself, so that URL, cleaned of `code` and `state`, becomes a
 * Location. It must only ever be a local path, whatever the request line held.
 */
import { expect } from 'chai';
import supertest from 'supertest';
import { echoOf } from './support/answers.js';
import { DEDICATED_CALLBACK, useSite } from './support/site.js';

const A_STATE = 'A'.repeat(32);

describe("gate: the clean URL after WeChat's return", () => {
  const site = useSite();

  it('REGRESSION: a request line of //evil.example with a code and a state never redirects off the site, even for a visitor just signed in', async () => {
    const { emulator, visitor } = await site.start();
    const browser = visitor();
    await browser.signIn('/page', { nickname: 'Band' });
    for (const target of [`//evil.example/x?code=abc&state=${A_STATE}`, `/\\evil.example/x?code=abc&state=${A_STATE}`]) {
      const answer = await browser.get(target);
      const location = answer.headers.location ?? '';
      expect(location, target).not.to.match(/^(\/\/|\/\\|[a-z]+:)/i);
      if (answer.status === 302) expect(location.startsWith('/') || location.startsWith(emulator.url), location).to.equal(true);
    }
    // Still signed in as themselves.
    expect(echoOf(await browser.get('/page')).openid).to.equal(emulator.findUser('Band')!.openid);
  });

  it('a signed-in visitor who comes back with a used code and state lands on the same page without them', async () => {
    const { visitor } = await site.start();
    const browser = visitor();
    const { callback } = await browser.signIn('/deep/page?keep=1', { nickname: 'Band' });
    const again = await browser.callback(callback);
    expect(again.status).to.equal(302);
    expect(again.headers.location).to.equal('/deep/page?keep=1');
  });
});

describe('gate: a sign-in cookie edited by its holder', () => {
  const site = useSite(DEDICATED_CALLBACK);

  it("a return path rewritten in the cookie (the signature kept) is not this browser's sign-in: refused, no exchange", async () => {
    const { emulator, server, visitor } = await site.start();
    const browser = visitor();
    const start = await browser.get('/page?x=1');
    const callback = await browser.authorize(start.headers.location!, { nickname: 'Band' });
    const state = callback.searchParams.get('state')!;
    const pair = browser
      .cookieHeader()
      .split('; ')
      .find((each) => each.startsWith(`wechat-sign-in-${state}=`))!;
    const [value, signature] = pair.slice(pair.indexOf('=') + 1).split('.');
    const data = JSON.parse(Buffer.from(value!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const edited = Buffer.from(JSON.stringify({ ...data, r: '/admin' })).toString('base64url');
    // A client of its own: only the edited cookie goes with the request.
    const answer = await supertest(server)
      .get(`${callback.pathname}${callback.search}`)
      .set({ Accept: 'text/html', Cookie: `wechat-sign-in-${state}=${edited}.${signature}` })
      .redirects(0);
    expect(answer.status).to.equal(400);
    expect(answer.headers.location).to.equal(undefined);
    expect(emulator.calls('/sns/oauth2/access_token')).to.equal(0);
  });
});
