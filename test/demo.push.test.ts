/**
 * The demo's push endpoint against its embedded emulator, as a person would use it: unfollow in the emulator's
 * console, and the next /api/me says so at once, with no user-info call; follow, and /members lets them in.
 * In plaintext mode (a token made up for the run) and in safe mode (WECHAT_TOKEN and WECHAT_AES_KEY).
 */
import { expect } from 'chai';
import { leaksIn } from './support/leak-scan.js';
import { useDemo, type DemoEnv } from './support/demo.js';
import { wechatCalls } from './support/services.js';

const TOKEN = 'demoPushToken2026';
const KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

describe('demo: follows and unfollows pushed by the emulator', () => {
  const demos = useDemo();

  const consolePost = (url: string, action: string, nickname: string) =>
    fetch(`${url}/emulator/api/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ nickname }) });

  for (const [mode, env, expectedMode] of [
    ['plaintext, with a token made up for the run', {}, 'plaintext'],
    ['safe, with WECHAT_TOKEN and WECHAT_AES_KEY', { WECHAT_TOKEN: TOKEN, WECHAT_AES_KEY: KEY }, 'safe'],
  ] as Array<[string, DemoEnv, string]>) {
    it(`${mode}: unfollow in the console and /api/me says isConcern false next, with no user-info call; follow and /members is a 200`, async () => {
      const demo = await demos.start({ env });
      const { emulator, log, config } = demo;
      const browser = demo.visitor();
      await browser.signIn('/page', { nickname: 'Band' });
      const me = () => browser.get('/api/me', { Accept: 'application/json' });
      expect((await me()).body).to.include({ isConcern: true });

      const calls = wechatCalls(emulator).userInfoCalls;
      const unfollowed = await consolePost(emulator.url, 'unfollow', 'Band');
      expect(unfollowed.status).to.equal(200);
      expect(emulator.pushes().at(-1)).to.include({ event: 'unsubscribe', outcome: 'delivered', mode: config.push!.mode });
      expect(config.push!.mode).to.equal(expectedMode);
      expect((await me()).body).to.include({ isConcern: false });
      expect(wechatCalls(emulator).userInfoCalls, 'the push, not WeChat, said so').to.equal(calls);
      expect((await browser.get('/members')).status).to.equal(403);

      expect((await consolePost(emulator.url, 'follow', 'Band')).status).to.equal(200);
      expect(emulator.pushes().at(-1)).to.include({ event: 'subscribe', outcome: 'delivered' });
      expect((await browser.get('/members')).status, 'no 15 s lock-out after following').to.equal(200);

      expect(log.filter((line) => line.includes('/wechat/events'))).to.have.length(2);
      expect(leaksIn(log.join('\n'), [config.push!.token, KEY])).to.deep.equal([]);
    });
  }
});
