/**
 * A cold burst: 200 new visitors, each with their own cookies, go through the whole dance at the same time.
 * Every one must land on their own page with the right answer, while WeChat sees one token fetch, one code
 * exchange each, and user-info calls batched; then the same visitors again cost WeChat nothing.
 */
import { expect } from 'chai';
import type { WeChatOptions } from '../lib/index.js';
import { useSite, type Site } from './support/site.js';
import { echoOf } from './support/answers.js';

const VISITORS = 200;

const USER_INFO = ['/cgi-bin/user/info', '/cgi-bin/user/info/batchget'];
const TOKENS = ['/cgi-bin/token', '/cgi-bin/stable_token'];

/** Every WeChat API call the emulator has answered, by path (the authorize page is the browser's, not ours). */
function apiCalls(started: Site): Record<string, number> {
  return Object.fromEntries(Object.entries(started.emulator.counters()).filter(([path]) => path.startsWith('/cgi-bin/') || path.startsWith('/sns/')));
}

/**
 * 200 fresh emulator users (a third do not follow) sign in at once; each must end on their own page with the
 * emulator's truth. Then each visits another page: no WeChat call at all. Answers the user-info calls of the burst.
 */
async function coldBurst(started: Site): Promise<number> {
  const { emulator } = started;
  const crowd = Array.from({ length: VISITORS }, (_, index) => ({
    browser: started.visitor(),
    nickname: `Crowd ${String(index).padStart(3, '0')}`,
    subscribe: index % 3 !== 0,
    path: `/page/${index}?n=${index}`,
  }));

  const results = await Promise.all(crowd.map(({ browser, nickname, subscribe, path }) => browser.signIn(path, { nickname, subscribe })));

  crowd.forEach(({ nickname, path }, index) => {
    const { page, returnTo } = results[index]!;
    const truth = emulator.findUser(nickname);
    expect(truth, `${nickname} was created by the authorize page`).to.not.equal(undefined);
    expect(returnTo, nickname).to.equal(path);
    expect(page.status, nickname).to.equal(200);
    expect(echoOf(page).path, nickname).to.equal(`/page/${index}`);
    expect(echoOf(page).openid, `${nickname} got their own openid`).to.equal(truth!.openid);
    expect(echoOf(page).isConcern, `${nickname} follows: ${truth!.subscribed}`).to.equal(truth!.subscribed);
  });
  expect(crowd.filter((each) => emulator.findUser(each.nickname)!.subscribed)).to.have.length(Math.floor((VISITORS * 2) / 3));
  expect(new Set(results.map(({ page }) => echoOf(page).openid)).size).to.equal(VISITORS);

  const sum = (paths: string[]): number => paths.reduce((total, path) => total + emulator.calls(path), 0);
  expect(sum(TOKENS), 'one token fetch for everyone').to.equal(1);
  expect(emulator.calls('/sns/oauth2/access_token'), 'one code exchange per visitor').to.equal(VISITORS);
  const userInfoCalls = sum(USER_INFO);

  const before = apiCalls(started);
  const again = await Promise.all(crowd.map(({ browser }, index) => browser.get(`/again/${index}`)));
  again.forEach((page, index) => {
    expect(page.status).to.equal(200);
    expect(echoOf(page).openid).to.equal(echoOf(results[index]!.page).openid);
    expect(echoOf(page).isConcern).to.equal(crowd[index]!.subscribe);
  });
  expect(apiCalls(started), 'no WeChat call for visitors already known').to.deep.equal(before);
  expect(emulator.calls('/connect/oauth2/authorize'), 'nobody was sent through WeChat again').to.equal(VISITORS);
  return userInfoCalls;
}

describe('a cold burst of 200 concurrent visitors: the right answer for each, WeChat asked as little as possible', () => {
  const site = useSite();

  async function run(wechat: Partial<WeChatOptions>): Promise<number> {
    const started = await site.start({ emulator: { users: [] }, wechat });
    const userInfoCalls = await coldBurst(started);
    // Batches hold at most 100 openids: 200 cold lookups need 2 calls at the very least.
    expect(userInfoCalls).to.be.at.least(2);
    console.log(`      user-info calls for ${VISITORS} cold lookups (batchWindow ${wechat.batchWindow ?? 'default'}): ${userInfoCalls}`);
    return userInfoCalls;
  }

  it("default settings: each lands on their page with the emulator's truth, 1 token, 200 exchanges, fewer user-info calls than visitors; then 0 calls", async function () {
    this.timeout(60_000);
    expect(await run({}), 'lookups shared batchget calls').to.be.below(VISITORS);
  });

  it('a 50 ms batch window gathers the burst into a handful of user-info calls (at most a tenth of the visitors)', async function () {
    this.timeout(60_000);
    expect(await run({ batchWindow: 0.05 })).to.be.at.most(VISITORS / 10);
  });
});
