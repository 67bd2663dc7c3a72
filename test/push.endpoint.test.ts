/**
 * The push endpoint, end to end: the emulator pushes follows and unfollows to a real Koa site in each mode, and
 * the site's next answer is exact with no user-info call; WeChat's reference vectors pass; the hook sees new
 * pushes (never retries) and its passive reply reaches the user's chat, encrypted where the mode says so.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import supertest from 'supertest';
import { buildXml } from '../lib/push/index.js';
import type { PushReply, WeChatOptions, WeChatPush } from '../lib/index.js';
import { echoOf } from './support/answers.js';
import { AES_KEY, eventXml, PUSH_TOKEN, signedPush, type Mode } from './support/push-client.js';
import { wechatCalls } from './support/services.js';
import { useSite, type Site } from './support/site.js';

const MODES: Mode[] = ['plaintext', 'compatible', 'safe'];

describe('push endpoint', () => {
  const site = useSite();

  async function pushSite(mode: Mode, push: Record<string, unknown> = {}, wechat: Partial<WeChatOptions> = {}): Promise<Site> {
    const started = await site.start({
      emulator: { appId: 'wxb11529c136998cb6' },
      wechat: { push: { token: PUSH_TOKEN, mode, ...(mode === 'plaintext' ? {} : { encodingAESKey: AES_KEY }), ...push }, ...wechat },
    });
    started.emulator.configurePush({
      url: `${started.url}/wechat/events`,
      token: PUSH_TOKEN,
      mode,
      ...(mode === 'plaintext' ? {} : { encodingAESKey: AES_KEY }),
    });
    return started;
  }

  describe("WeChat's reference vectors", () => {
    afterEach(() => sinon.restore());

    it('the URL check of token AAAAA, timestamp 1714036504, nonce 1514711492 (signature f464b24f…) echoes echostr as text/plain', async () => {
      sinon.useFakeTimers({ now: 1714036504_000, toFake: ['Date'] });
      const { server } = await pushSite('plaintext', { token: 'AAAAA' });
      const query = 'signature=f464b24fc39322e44b38aa78f5edd27bd1441696&echostr=4917183958374627123&timestamp=1714036504&nonce=1514711492';
      const answer = await supertest(server).get(`/wechat/events?${query}`);
      expect(answer.status).to.equal(200);
      expect(answer.headers['content-type']).to.match(/^text\/plain/);
      expect(answer.text).to.equal('4917183958374627123');
    });

    it('the event push of token AAAAA, timestamp 1714037059, nonce 486452656 (signature 899cf89e…) is accepted and recorded', async () => {
      sinon.useFakeTimers({ now: 1714037059_000, toFake: ['Date'] });
      const { server, wechat } = await pushSite('plaintext', { token: 'AAAAA' });
      const body =
        '<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[OPENID]]></FromUserName>' +
        '<CreateTime>1714037059</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[unsubscribe]]></Event>' +
        '<EventKey><![CDATA[]]></EventKey></xml>';
      const query = 'signature=899cf89e464efb63f54ddac96b0a0a235f53aa78&timestamp=1714037059&nonce=486452656&openid=OPENID';
      const answer = await supertest(server).post(`/wechat/events?${query}`).type('text/xml').send(body);
      expect([answer.status, answer.text]).to.deep.equal([200, 'success']);
      expect((await wechat.subscriptions.status('OPENID')).subscribed).to.equal(false);
    });

    it('a one-character change of the reference signature is refused with 401, and nothing is echoed', async () => {
      sinon.useFakeTimers({ now: 1714036504_000, toFake: ['Date'] });
      const { server } = await pushSite('plaintext', { token: 'AAAAA' });
      const answer = await supertest(server).get(
        '/wechat/events?signature=f464b24fc39322e44b38aa78f5edd27bd1441697&echostr=4917183958374627123&timestamp=1714036504&nonce=1514711492',
      );
      expect(answer.status).to.equal(401);
      expect(answer.text).not.to.include('4917183958374627123');
    });
  });

  for (const mode of MODES) {
    describe(`${mode} mode, pushed by the emulator`, () => {
      it("the emulator's URL check passes", async () => {
        const { emulator } = await pushSite(mode);
        expect((await emulator.verifyPushUrl()).ok).to.equal(true);
      });

      it('unfollow: the next request says isConcern false with no user-info call; follow: the next one says true', async () => {
        const { emulator, visitor } = await pushSite(mode);
        const browser = visitor();
        const { page } = await browser.signIn('/page', { nickname: 'Band' });
        expect(echoOf(page).isConcern).to.equal(true);
        const band = emulator.findUser('Band')!;

        const unfollowed = await emulator.unfollow(band.openid);
        expect(unfollowed.push!.outcome, JSON.stringify(unfollowed.push)).to.equal('delivered');
        const before = wechatCalls(emulator).userInfoCalls;
        expect(echoOf(await browser.get('/page')).isConcern).to.equal(false);
        expect(wechatCalls(emulator).userInfoCalls).to.equal(before);

        const followed = await emulator.follow(band.openid);
        expect(followed.push!.outcome).to.equal('delivered');
        expect(echoOf(await browser.get('/page')).isConcern).to.equal(true);
      });

      it('the hook gets the follow after it was recorded, and its text reply is the chat message the emulator reads back', async () => {
        const seen: WeChatPush[] = [];
        // Read in the hook, asserted after it: an assertion thrown inside the hook would be the app's error.
        const storedWhenHookRan: unknown[] = [];
        const { emulator, wechat } = await pushSite(mode, {
          onEvent: async (push: WeChatPush): Promise<PushReply> => {
            // The follow is recorded before the hook runs: a page it links to lets the follower in.
            seen.push(push);
            storedWhenHookRan.push(await wechat.store.get(`koa-wechat-subscription:${wechat.client.appId}:subscription:${push.openid}`));
            return { text: `欢迎 <a href="https://example.com/members">back</a>` };
          },
        });
        const visitorUser = emulator.findUser('Visitor')!;
        const { push } = await emulator.follow(visitorUser.openid);
        expect(push!.outcome).to.equal('delivered');
        expect(push!.reply).to.deep.equal({ msgType: 'text', content: '欢迎 <a href="https://example.com/members">back</a>' });
        expect(seen.map((each) => [each.openid, each.msgType, each.event])).to.deep.equal([[visitorUser.openid, 'event', 'subscribe']]);
        expect(storedWhenHookRan).to.have.length(1);
        expect(storedWhenHookRan[0]).to.have.property('followed', true);
      });
    });
  }

  describe('the hook', () => {
    it('sees SCAN with its scene and a follow through a QR code with the scene, EventKey kept a string ("0012")', async () => {
      const seen: WeChatPush[] = [];
      const { server, emulator } = await pushSite('plaintext', { onEvent: (push: WeChatPush) => void seen.push(push) });
      const openid = emulator.findUser('Band')!.openid;
      const scan = signedPush({
        mode: 'plaintext',
        appId: emulator.appId,
        xml: eventXml(openid, 'SCAN', { EventKey: '0012', Ticket: 'gQH47joAAAAAAAAAASxodHRw' }),
      });
      const follow = signedPush({
        mode: 'plaintext',
        appId: emulator.appId,
        xml: eventXml(openid, 'subscribe', { EventKey: 'qrscene_0012', Ticket: 'gQH47joAAAAAAAAAASxodHRw' }),
      });
      for (const each of [scan, follow]) {
        const answer = await supertest(server).post(`/wechat/events?${each.query}`).type('text/xml').send(each.body);
        expect([answer.status, answer.text]).to.deep.equal([200, 'success']);
      }
      expect(seen.map((push) => [push.event, push.eventKey, push.scene, push.ticket])).to.deep.equal([
        ['SCAN', '0012', '0012', 'gQH47joAAAAAAAAAASxodHRw'],
        ['subscribe', 'qrscene_0012', '0012', 'gQH47joAAAAAAAAAASxodHRw'],
      ]);
    });

    it('sees messages too, and a news reply comes back as one card with its link', async () => {
      const { server, emulator } = await pushSite('plaintext', {
        onEvent: (push: WeChatPush): PushReply | undefined =>
          push.msgType === 'text'
            ? { news: { title: '继续阅读 Continue', description: 'Back to the page', url: 'https://example.com/members' } }
            : undefined,
      });
      const openid = emulator.findUser('Band')!.openid;
      const xml = buildXml({
        ToUserName: 'gh_test',
        FromUserName: openid,
        CreateTime: Math.floor(Date.now() / 1000),
        MsgType: 'text',
        Content: 'hi',
        MsgId: '23637352235060880',
      });
      const signed = signedPush({ mode: 'plaintext', appId: emulator.appId, xml });
      const answer = await supertest(server).post(`/wechat/events?${signed.query}`).type('text/xml').send(signed.body);
      expect(answer.status).to.equal(200);
      expect(answer.headers['content-type']).to.match(/^text\/xml/);
      expect(answer.text).to.include(`<ToUserName><![CDATA[${openid}]]></ToUserName><FromUserName><![CDATA[gh_test]]></FromUserName>`);
      expect(answer.text).to.include(
        '<MsgType><![CDATA[news]]></MsgType><ArticleCount>1</ArticleCount><Articles><item><Title><![CDATA[继续阅读 Continue]]></Title>',
      );
      expect(answer.text).to.include('<Url><![CDATA[https://example.com/members]]></Url></item></Articles></xml>');
    });

    it('a hook that throws: the push is still answered success, the error goes to app.on("error")', async () => {
      const { emulator, errors } = await pushSite('safe', {
        onEvent: () => {
          throw new Error('the site had a bad day');
        },
      });
      const { push } = await emulator.unfollow(emulator.findUser('Band')!.openid);
      expect(push!.outcome).to.equal('delivered');
      expect(push!.attempts.map((attempt) => attempt.reply)).to.deep.equal(['success']);
      expect(errors.map((error) => (error as Error).message)).to.deep.equal(['the site had a bad day']);
    });

    it('a hook slower than replyTimeout: the push is answered success in time, and recorded', async () => {
      let finish: (() => void) | undefined;
      const { emulator, wechat } = await pushSite('plaintext', {
        replyTimeout: 0.05,
        onEvent: () => new Promise<PushReply>((resolve) => (finish = () => resolve({ text: 'too late' }))),
      });
      const band = emulator.findUser('Band')!;
      const { push } = await emulator.unfollow(band.openid);
      expect(push!.outcome).to.equal('delivered');
      expect(push!.attempts).to.have.length(1);
      expect(push!.reply).to.equal(undefined);
      expect((await wechat.subscriptions.status(band.openid)).subscribed).to.equal(false);
      finish!();
    });

    it('a reply WeChat would not show (an empty text, a javascript: link) is dropped: success, and a warning', async () => {
      const lines: string[] = [];
      const replies: PushReply[] = [{ text: '' }, { news: { title: 'x', url: 'javascript:alert(1)' } }];
      const { emulator } = await pushSite('plaintext', { onEvent: () => replies.shift() }, { logger: { warn: (line) => lines.push(line) } });
      const band = emulator.findUser('Band')!.openid;
      for (const step of [() => emulator.unfollow(band), () => emulator.follow(band)]) {
        const { push } = await step();
        expect(push!.attempts.map((attempt) => attempt.reply)).to.deep.equal(['success']);
      }
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(/push\.onEvent gave a reply WeChat would not show \(a text reply needs a non-empty text\)/);
    });
  });
});
