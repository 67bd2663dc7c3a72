/**
 * The newcomer's path, in a real Chromium against the demo on its embedded emulator, as `npm start` wires it:
 * open /page, pick a follower on the emulator's phone page, see the recipe's page; unfollow in the console and
 * see it after the TTL; sign out; a non-follower at /members gets the follow page. A screenshot at each step.
 */
import { expect } from 'chai';
import { readConfig } from '../demo/config.js';
import { startDemo, type RunningDemo } from '../demo/start.js';
import { openBrowser, requireChromium, type BrowserSession } from './support/browser.js';

const STATUS_TTL = 1;

describe('the demo in a real browser', function () {
  this.timeout(60_000);
  before(function () {
    requireChromium(this, 'test/demo.browser.test.ts');
  });

  let demo: RunningDemo | undefined;
  let browser: BrowserSession | undefined;
  const log: string[] = [];

  /** The demo as `npm start` would run it with these variables, and a browser that never saw it. */
  async function start(test: Mocha.Context, env: Record<string, string> = {}): Promise<{ demo: RunningDemo; browser: BrowserSession }> {
    log.length = 0;
    demo = await startDemo(readConfig({ PORT: '0', ...env }), (line) => log.push(line));
    browser = await openBrowser(test.test!.fullTitle());
    return { demo, browser };
  }

  afterEach(async function () {
    await browser?.close(this.currentTest?.state === 'failed');
    await demo?.close();
    browser = undefined;
    demo = undefined;
  });

  it('takes a newcomer from /page through the phone page to the recipe page, and follows an unfollow, a sign-out and a non-follower', async function () {
    const { demo, browser } = await start(this, { WECHAT_STATUS_TTL: String(STATUS_TTL) });
    const { page, screenshot, context } = browser;
    const emulator = demo.emulator!;
    const band = emulator.findUser('Band')!;

    await page.goto(`${demo.url}/`);
    expect(await page.locator('a[href="/members"]').count()).to.be.greaterThan(0);
    expect(await page.getAttribute('footer a', 'href')).to.equal(`${emulator.url}/emulator`);
    await screenshot('home');

    // 1–2. /page without a session: off to WeChat, here the emulator's phone page.
    await page.click('a[href="/page"]');
    await page.waitForURL((url) => url.href.startsWith(`${emulator.url}/connect/oauth2/authorize`));
    expect(await page.locator('button[data-nickname="Band"]').count()).to.equal(1);
    // The site's authorize URL ends with #wechat_redirect, so the emulator has no warning to show.
    expect(await page.isVisible('#no-wechat-redirect')).to.equal(false);
    await screenshot('phone-page');

    // 3–4. Pick a follower: back on /page, signed in, following, with the user-info table.
    await page.click('button[data-nickname="Band"]');
    await page.waitForURL(`${demo.url}/page`);
    expect(await page.textContent('[data-concern]')).to.contain('Following');
    expect(await page.getAttribute('[data-concern]', 'data-concern')).to.equal('true');
    expect(await page.textContent('[data-field="openid"]')).to.equal(band.openid);
    expect(await page.textContent('[data-field="subscribe_scene"]')).to.contain('扫描二维码');
    expect(await page.textContent('[data-field="remark"]')).to.equal('VIP 读者');
    expect(await page.textContent('[data-field="tagid_list"]')).to.equal('2, 101');
    expect(await page.textContent('[data-field="subscribe_time"]')).to.match(/^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2} \(UTC\+8\)$/);
    expect(await page.locator('[data-follow-prompt]').count()).to.equal(0);
    await screenshot('page-following');

    // Unfollow in the emulator's console, with its own button.
    await page.goto(`${emulator.url}/emulator`);
    await page.click(`form[action="/emulator/api/unfollow"]:has(input[value="${band.openid}"]) button`);
    await page.waitForURL(`${emulator.url}/emulator`);
    expect(emulator.findUser('Band')!.subscribed).to.equal(false);
    await screenshot('console-unfollowed');

    // After the TTL the cached answer is asked again: /page says not following, and prompts to follow.
    await new Promise((resolve) => setTimeout(resolve, STATUS_TTL * 1000 + 200));
    await page.goto(`${demo.url}/page`);
    expect(page.url()).to.equal(`${demo.url}/page`);
    expect(await page.getAttribute('[data-concern]', 'data-concern')).to.equal('false');
    expect(await page.locator('[data-follow-prompt]').count()).to.equal(1);
    expect(await page.locator('[data-field="subscribe_time"]').count()).to.equal(0);
    await screenshot('page-not-following');

    // Sign out with the page's button: the home page says so, and the API no longer knows the visitor.
    await page.click('form[action="/logout"] button');
    await page.waitForURL(`${demo.url}/?signed_out=1`);
    expect(await page.locator('[data-signed-out]').count()).to.equal(1);
    const me = await context.request.get(`${demo.url}/api/me`, { headers: { accept: 'application/json' } });
    expect(me.status()).to.equal(401);
    expect(((await me.json()) as { error: string }).error).to.equal('wechat_auth_required');
    await screenshot('signed-out');

    // The emulator's phone remembers Band, as WeChat would: forget it, then come as a non-follower.
    await page.goto(`${emulator.url}/emulator`);
    await page.click('form[action="/emulator/api/phone/forget"] button');
    let membersStatus = 0;
    page.on('response', (response) => {
      if (response.url() === `${demo.url}/members`) membersStatus = response.status();
    });
    await page.goto(`${demo.url}/members`);
    await page.waitForURL((url) => url.href.startsWith(`${emulator.url}/connect/oauth2/authorize`));
    await screenshot('phone-page-again');
    await page.click('button[data-nickname="Visitor"]');
    await page.waitForURL(`${demo.url}/members`);
    expect(membersStatus).to.equal(403);
    expect(await page.locator('[data-error="wechat_not_subscribed"]').count()).to.equal(1);
    expect(await page.textContent('body')).to.contain('示例公众号 Demo Account');
    await screenshot('members-follow-page');

    expect(browser.pageErrors).to.deep.equal([]);
    // One log line per request, none with a query string (the callback's code stays out of the log).
    expect(log.filter((line) => !/^(GET|POST) \/[^ ?]* \d{3} \d+\.\dms$/.test(line))).to.deep.equal([]);
    // WeChat returned the visitor to the page itself: its code was completed there, then a clean redirect.
    expect(log.filter((line) => line.startsWith('GET /members 302 ')).length).to.be.at.least(2);
    expect(log.some((line) => line.startsWith('GET /members 403 '))).to.equal(true);
  });

  it('shows the nickname and avatar after the consent sheet, with WECHAT_SCOPE=snsapi_userinfo', async function () {
    const { demo, browser } = await start(this, { WECHAT_SCOPE: 'snsapi_userinfo' });
    const { page, screenshot } = browser;
    const emulator = demo.emulator!;

    await page.goto(`${demo.url}/page`);
    await page.click('button[data-nickname="Reader"]');
    await page.waitForSelector('form[action="/connect/oauth2/authorize/consent"]');
    expect(await page.textContent('h1')).to.contain('申请获得');
    // The consent sheet answers the picker's form, whose URL has no fragment to check.
    expect(await page.isVisible('#no-wechat-redirect')).to.equal(false);
    await screenshot('consent-sheet');

    await page.click('form[action="/connect/oauth2/authorize/consent"]:has(input[value="allow"]) button');
    await page.waitForURL(`${demo.url}/page`);
    expect(await page.textContent('[data-field="nickname"]')).to.equal('Reader');
    const avatar = page.locator('.profile img');
    expect(await avatar.getAttribute('src')).to.match(new RegExp(`^${emulator.url}/emulator/avatar/${emulator.findUser('Reader')!.openid}/\\d+$`));
    // The image loaded: the browser decoded the emulator's avatar.
    // (A string: this project's TypeScript has no DOM types.)
    expect(
      await page.evaluate("(() => { const image = document.querySelector('.profile img'); return image.complete && image.naturalWidth > 0; })()"),
    ).to.equal(true);
    expect(await page.textContent('[data-field="subscribe_scene"]')).to.contain('公众号搜索');
    expect(await page.textContent('[data-field="remark"]')).to.equal('—');
    await screenshot('page-with-profile');
    expect(browser.pageErrors).to.deep.equal([]);
  });

  it("the emulator's phone page warns when an authorize URL lacks #wechat_redirect, which real WeChat needs", async function () {
    const { demo, browser } = await start(this);
    const { page, context, screenshot } = browser;
    const unauthorized = await context.request.get(`${demo.url}/api/me`, { headers: { accept: 'application/json' } });
    const { authorizeUrl } = (await unauthorized.json()) as { authorizeUrl: string };
    expect(authorizeUrl).to.match(/#wechat_redirect$/);

    await page.goto(authorizeUrl.replace('#wechat_redirect', ''));
    expect(await page.isVisible('#no-wechat-redirect')).to.equal(true);
    await screenshot('phone-page-without-fragment');
  });
});
