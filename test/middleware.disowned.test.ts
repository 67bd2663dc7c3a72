/**
 * A session whose openid WeChat disowns (40003: a session kept across a change of AppID, or a test user the
 * emulator no longer has): the visitor signs in again, once. If WeChat's sign-in hands back the same openid,
 * authorization and API disagree, and the visitor gets the 502 page: never a loop through WeChat.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { expectPage, expectToWeChat } from './support/answers.js';
import { useSite } from './support/site.js';

describe('middleware: an openid WeChat disowns (40003)', () => {
  const site = useSite();
  let disowning: Server | undefined;
  afterEach(async () => {
    disowning?.closeAllConnections();
    await new Promise((resolve) => (disowning === undefined ? resolve(undefined) : disowning.close(resolve)));
    disowning = undefined;
  });

  /** WeChat's API as a misconfigured deployment would meet it: every openid disowned (40003), the rest as it is. */
  async function disowningEveryOpenid(target: string): Promise<string> {
    disowning = createServer((incoming, outgoing) => {
      if (incoming.url?.startsWith('/cgi-bin/user/info')) {
        outgoing.setHeader('Content-Type', 'application/json');
        outgoing.end(JSON.stringify({ errcode: 40003, errmsg: 'invalid openid rid: 0' }));
        return;
      }
      const upstream = request(new URL(incoming.url ?? '/', target), { method: incoming.method, headers: incoming.headers }, (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      });
      incoming.pipe(upstream);
    });
    await new Promise<void>((resolve) => disowning!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(disowning.address() as AddressInfo).port}`;
  }

  it('sends a visitor signed in on another account through WeChat again, and serves the new openid', async () => {
    const before = await site.start();
    const browser = before.visitor();
    await browser.signIn('/page', { nickname: 'Band' });
    // The same session keys, another account (a fresh emulator with other openids): the old openid is not its.
    const after = await site.start({ emulator: { seed: 'another account' } });
    const moved = after.visitor();
    const cookie = browser.cookieHeader();

    const first = await moved.get('/page', { Cookie: cookie });
    expectToWeChat(first, after.emulator);
    const json = await moved.get('/page', { Cookie: cookie, Accept: 'application/json' });
    expect(json.status, json.text).to.equal(401);
    expect((json.body as { error: string }).error).to.equal('wechat_auth_required');

    const { page } = await moved.signIn('/page', { nickname: 'Band' });
    expect(page.status).to.equal(200);
    expect((page.body as { openid: string }).openid).to.equal(after.emulator.findUser('Band')!.openid);
  });

  it('answers the 502 page, not a loop, when WeChat signs the visitor in with the openid its API disowns', async () => {
    const s = await site.start();
    const api = await disowningEveryOpenid(s.emulator.url);
    // Mounted on the same emulator, with the disowning API.
    const t = await site.start({ on: s.emulator, wechat: { apiBaseUrl: api } });
    const browser = t.visitor();

    const first = await browser.signIn('/page', { nickname: 'Band' });
    // The first 40003: the identity goes, and the visitor is sent through WeChat again.
    expectToWeChat(first.page, t.emulator);
    const callback = await browser.authorize(first.page.headers.location!, { nickname: 'Band' });
    const back = await browser.callback(callback);
    expect(back.status).to.equal(302);
    // The same openid, disowned again: the page, and no third trip to WeChat.
    const again = await browser.get(back.headers.location!);
    expectPage(again, 502, 'wechat_unavailable');
    expect(t.emulator.calls('/sns/oauth2/access_token')).to.equal(2);
    expect(t.errors.some((error) => error instanceof Error && /40003/.test(error.message))).to.equal(true);
    const later = await browser.get('/page');
    expectPage(later, 502, 'wechat_unavailable');
  });
});
