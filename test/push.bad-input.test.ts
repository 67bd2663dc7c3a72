/**
 * What the push endpoint refuses, and that a refusal changes nothing: forged and missing signatures, stale
 * timestamps, replays, XML WeChat never sends, and safe-mode posts that do not decrypt, all with one answer
 * each and never the request's own text echoed. A failing store never turns a valid push into an error.
 */
import { expect } from 'chai';
import { Keyv } from 'keyv';
import supertest from 'supertest';
import type { WeChatOptions, WeChatPush } from '../lib/index.js';
import { buildEncryptedEnvelope, buildXml, messageSignature, PushCipher, pushSignature } from '../lib/push/index.js';
import { leaksIn } from './support/leak-scan.js';
import { AES_KEY, eventXml, OTHER_AES_KEY, PUSH_TOKEN, signedPush, urlCheckQuery, type Mode } from './support/push-client.js';
import { wechatCalls } from './support/services.js';
import { useSite, type Site } from './support/site.js';

const APP_ID = 'wxb11529c136998cb6';

describe('push endpoint: bad input', () => {
  const site = useSite();
  let hookCalls: WeChatPush[] = [];
  let warnings: string[] = [];
  beforeEach(() => {
    hookCalls = [];
    warnings = [];
  });

  async function start(mode: Mode, wechat: Partial<WeChatOptions> = {}): Promise<Site & { band: string }> {
    const started = await site.start({
      emulator: { appId: APP_ID },
      wechat: {
        logger: { warn: (line) => warnings.push(line) },
        push: { token: PUSH_TOKEN, mode, ...(mode === 'plaintext' ? {} : { encodingAESKey: AES_KEY }), onEvent: (push) => void hookCalls.push(push) },
        ...wechat,
      },
    });
    const band = started.emulator.findUser('Band')!.openid;
    // Band's status is cached as following: a push that got through would change it.
    expect((await started.wechat.subscriptions.status(band)).subscribed).to.equal(true);
    return { ...started, band };
  }

  /** Nothing changed: Band is still following, from the cache (no user-info call), and the hook saw nothing. */
  async function expectNoChange(started: Site & { band: string }): Promise<void> {
    const calls = wechatCalls(started.emulator).userInfoCalls;
    expect((await started.wechat.subscriptions.status(started.band)).subscribed).to.equal(true);
    expect(wechatCalls(started.emulator).userInfoCalls).to.equal(calls);
    expect(hookCalls).to.deep.equal([]);
  }

  const post = (started: Site, query: string, body: string) => supertest(started.server).post(`/wechat/events?${query}`).type('text/xml').send(body);

  describe('signatures and time', () => {
    it('a wrong signature: 401, nothing changed', async () => {
      const started = await start('plaintext');
      const signed = signedPush({ mode: 'plaintext', appId: APP_ID, xml: eventXml(started.band, 'unsubscribe'), token: 'anotherToken' });
      const answer = await post(started, signed.query, signed.body);
      expect(answer.status).to.equal(401);
      expect(answer.text).to.equal('the signature does not match');
      await expectNoChange(started);
      expect(warnings.join('\n')).to.include("check that push.token is the MP console's Token");
    });

    for (const [title, query] of [
      ['no query at all', ''],
      ['no signature', 'timestamp=1&nonce=2'],
      ['a repeated signature (an array)', 'signature=a&signature=b&timestamp=1&nonce=2'],
    ] as const) {
      it(`${title}: 401, nothing changed`, async () => {
        const started = await start('plaintext');
        const answer = await post(started, query, eventXml(started.band, 'unsubscribe'));
        expect(answer.status).to.equal(401);
        await expectNoChange(started);
      });
    }

    // 10 s past the window, not 1: the server reads its clock a moment after the test signs.
    for (const offset of [-310, 310, -86_400 * 365]) {
      it(`a timestamp ${offset} s off: 403, nothing changed`, async () => {
        const started = await start('plaintext');
        const signed = signedPush({
          mode: 'plaintext',
          appId: APP_ID,
          xml: eventXml(started.band, 'unsubscribe'),
          timestamp: Math.floor(Date.now() / 1000) + offset,
        });
        const answer = await post(started, signed.query, signed.body);
        expect([answer.status, answer.text]).to.deep.equal([403, 'the timestamp is outside the accepted window']);
        await expectNoChange(started);
      });
    }

    it('timestampWindow is configurable: 60 s refuses what is 90 s old', async () => {
      const started = await start('plaintext', { push: { token: PUSH_TOKEN, timestampWindow: 60 } });
      const signed = signedPush({
        mode: 'plaintext',
        appId: APP_ID,
        xml: eventXml(started.band, 'unsubscribe'),
        timestamp: Math.floor(Date.now() / 1000) - 90,
      });
      expect((await post(started, signed.query, signed.body)).status).to.equal(403);
    });

    it('the URL check with a wrong signature: 401 and the echostr is not echoed; with markup or without echostr: 400', async () => {
      const started = await start('safe');
      const forged = await supertest(started.server).get(`/wechat/events?${urlCheckQuery('123456789', 'wrongToken')}`);
      expect(forged.status).to.equal(401);
      expect(forged.text).not.to.include('123456789');
      const bare = await supertest(started.server).get(`/wechat/events?${urlCheckQuery('<script>')}`);
      expect(bare.status).to.equal(400);
      expect(bare.text).not.to.include('<script>');
      const withoutEchostr = new URLSearchParams(urlCheckQuery('x'));
      withoutEchostr.delete('echostr');
      expect((await supertest(started.server).get(`/wechat/events?${withoutEchostr.toString()}`)).status).to.equal(400);
    });

    it('a replayed push (the same request again, or sent to the endpoint twice at once) is answered success and ignored', async () => {
      const started = await start('plaintext');
      const signed = signedPush({ mode: 'plaintext', appId: APP_ID, xml: eventXml(started.band, 'unsubscribe') });
      const answers = await Promise.all([post(started, signed.query, signed.body), post(started, signed.query, signed.body)]);
      expect(answers.map((answer) => [answer.status, answer.text])).to.deep.equal([
        [200, 'success'],
        [200, 'success'],
      ]);
      expect(hookCalls).to.have.length(1);
      // Following again (as a lookup would find), then the replay: it must not unfollow Band a second time.
      await started.wechat.subscriptions.record(started.band, true, {
        ...(await started.wechat.client.fetchUserInfo({ accessToken: await started.wechat.tokens.get(), openid: started.band })),
      });
      hookCalls = [];
      const replay = await post(started, signed.query, signed.body);
      expect([replay.status, replay.text]).to.deep.equal([200, 'success']);
      await expectNoChange(started);
    });
  });

  describe('bodies', () => {
    const bodies: Array<[string, (band: string) => string]> = [
      [
        'a DOCTYPE with an entity',
        (band) => `<!DOCTYPE xml [<!ENTITY e "x">]><xml><FromUserName>&e;</FromUserName><ToUserName>${band}</ToUserName></xml>`,
      ],
      ['an undeclared entity', (band) => eventXml(band, 'unsubscribe').replace('<MsgType>', '<Note>&lol;</Note><MsgType>')],
      ['a __proto__ element', (band) => eventXml(band, 'unsubscribe').replace('</xml>', '<__proto__><![CDATA[x]]></__proto__></xml>')],
      ['a constructor element', (band) => eventXml(band, 'unsubscribe').replace('</xml>', '<constructor>x</constructor></xml>')],
      ['malformed XML', (band) => eventXml(band, 'unsubscribe').slice(0, -3)],
      ['JSON', (band) => JSON.stringify({ FromUserName: band, Event: 'unsubscribe' })],
      ['an empty body', () => ''],
      ['two FromUserName', (band) => eventXml(band, 'unsubscribe').replace('</xml>', `<FromUserName>${band}</FromUserName></xml>`)],
      ['no MsgType', (band) => buildXml({ ToUserName: 'gh_test', FromUserName: band, CreateTime: 1 })],
      [
        'a CreateTime that is no number',
        (band) => buildXml({ ToUserName: 'gh_test', FromUserName: band, CreateTime: 'soon', MsgType: 'event', Event: 'unsubscribe' }),
      ],
      ['an event without Event', (band) => buildXml({ ToUserName: 'gh_test', FromUserName: band, CreateTime: 1, MsgType: 'event' })],
      ['a FromUserName that is no openid', () => eventXml('../../etc', 'unsubscribe')],
      ['attributes', (band) => eventXml(band, 'unsubscribe').replace('<MsgType>', '<MsgType a="1">')],
      ['a NUL character', () => '\u0000'],
    ];
    for (const [title, body] of bodies) {
      it(`${title}: 400, nothing changed`, async () => {
        const started = await start('plaintext');
        const signed = signedPush({ mode: 'plaintext', appId: APP_ID, xml: body(started.band) });
        const answer = await post(started, signed.query, signed.body);
        expect(answer.status, answer.text).to.equal(400);
        expect(answer.text).not.to.include('    at ');
        await expectNoChange(started);
      });
    }

    it('bytes that are not UTF-8: 400', async () => {
      const started = await start('plaintext');
      const signed = signedPush({ mode: 'plaintext', appId: APP_ID, xml: '' });
      const answer = await supertest(started.server)
        .post(`/wechat/events?${signed.query}`)
        .type('text/xml')
        .send(Buffer.from([0x3c, 0x78, 0xff, 0xfe]));
      expect([answer.status, answer.text]).to.deep.equal([400, 'the body is not UTF-8']);
    });

    it('a body over 64 KiB: 400 before it is parsed, declared or not', async () => {
      const started = await start('plaintext');
      const big = eventXml(started.band, 'unsubscribe').replace('</xml>', `<Pad>${'x'.repeat(70_000)}</Pad></xml>`);
      const signed = signedPush({ mode: 'plaintext', appId: APP_ID, xml: big });
      const answer = await post(started, signed.query, signed.body);
      expect(answer.status).to.equal(400);
      expect(answer.text).to.match(/over 64 KiB/);
      await expectNoChange(started);
    });

    it('PUT, DELETE and HEAD: 405 with Allow: GET, POST', async () => {
      const started = await start('plaintext');
      for (const method of ['put', 'delete', 'head'] as const) {
        const answer = await supertest(started.server)[method]('/wechat/events');
        expect(answer.status).to.equal(405);
        expect(answer.headers.allow).to.equal('GET, POST');
      }
    });
  });

  describe('safe and compatible modes', () => {
    for (const mode of ['safe', 'compatible'] as const) {
      it(`${mode}: a plaintext post, validly signed, is refused (the mode is the site's, not the request's)`, async () => {
        const started = await start(mode);
        const signed = signedPush({ mode: 'plaintext', appId: APP_ID, xml: eventXml(started.band, 'unsubscribe') });
        const answer = await post(started, `${signed.query}&encrypt_type=raw`, signed.body);
        expect(answer.status).to.equal(400);
        await expectNoChange(started);
      });

      it(`${mode}: a wrong msg_signature is 401 and nothing is decrypted`, async () => {
        const started = await start(mode);
        const signed = signedPush({ mode, appId: APP_ID, xml: eventXml(started.band, 'unsubscribe') });
        const answer = await post(started, signed.query.replace(/msg_signature=[0-9a-f]/, 'msg_signature=z'), signed.body);
        expect(answer.status).to.equal(401);
        await expectNoChange(started);
      });
    }

    it('compatible: only the decrypted part is read; forged plaintext fields beside it are ignored', async () => {
      const started = await start('compatible');
      const honest = eventXml('oNobodyElse0000000000000000', 'subscribe');
      const signed = signedPush({ mode: 'compatible', appId: APP_ID, xml: honest });
      // The plaintext half now says Band unfollowed; the encrypted half says someone else followed.
      const forged = signed.body.replace('oNobodyElse0000000000000000', started.band).replace('subscribe', 'unsubscribe');
      const answer = await post(started, signed.query, forged);
      expect([answer.status, answer.text]).to.deep.equal([200, 'success']);
      expect(hookCalls.map((push) => [push.openid, push.event])).to.deep.equal([['oNobodyElse0000000000000000', 'subscribe']]);
      hookCalls = [];
      await expectNoChange(started);
    });

    it('the wrong key, another appid, bad padding, bad base64 and a ciphertext that is no XML all get one same 400, with no detail', async () => {
      const started = await start('safe');
      const timestamp = String(Math.floor(Date.now() / 1000));
      const nonce = '12345';
      const xml = eventXml(started.band, 'unsubscribe');
      const cipherOf = (key: string, appId: string) => new PushCipher(key, appId);
      const padded = Buffer.from(cipherOf(AES_KEY, APP_ID).encrypt(xml), 'base64');
      // Flipping a byte of the last block's predecessor garbles the padding of the last block.
      padded[padded.length - 17]! ^= 0x55;
      const encrypts = {
        'wrong key': cipherOf(OTHER_AES_KEY, APP_ID).encrypt(xml),
        'another appid': cipherOf(AES_KEY, 'wx0000000000000000').encrypt(xml),
        'bad padding': padded.toString('base64'),
        'bad base64': 'not*base64',
        'no XML inside': cipherOf(AES_KEY, APP_ID).encrypt('我是中文abcd123'),
      };
      const answers = new Set<string>();
      for (const encrypt of Object.values(encrypts)) {
        const query = new URLSearchParams({
          signature: pushSignature(PUSH_TOKEN, timestamp, nonce),
          timestamp,
          nonce,
          encrypt_type: 'aes',
          msg_signature: messageSignature(PUSH_TOKEN, timestamp, nonce, encrypt),
        });
        const answer = await post(started, query.toString(), buildEncryptedEnvelope('gh_test', encrypt));
        answers.add(`${answer.status} ${answer.text}`);
      }
      expect([...answers]).to.deep.equal(['400 the encrypted push could not be read']);
      await expectNoChange(started);
    });
  });

  describe('secrets', () => {
    it('no answer, warning or app error holds the push token or the AES key, whatever fails', async () => {
      const started = await start('safe');
      const texts: string[] = [];
      const signed = signedPush({ mode: 'safe', appId: APP_ID, xml: eventXml(started.band, 'unsubscribe') });
      for (const [query, body] of [
        [signed.query.replace('signature=', 'signature=0'), signed.body],
        [signed.query, signed.body.replace('Encrypt><![CDATA[', 'Encrypt><![CDATA[AAAA')],
        [signed.query, '<xml>'],
      ]) {
        const answer = await post(started, query!, body!);
        texts.push(answer.text, JSON.stringify(answer.headers));
      }
      texts.push(...warnings, ...started.errors.map(String), JSON.stringify(started.wechat.site), JSON.stringify(started.wechat));
      expect(leaksIn(texts.join('\n'), [PUSH_TOKEN, AES_KEY])).to.deep.equal([]);
    });
  });

  describe('a failing store', () => {
    it('a store that never answers: a valid push is still answered success, within the store bound', async () => {
      const silent = {
        get: () => new Promise(() => {}),
        set: () => new Promise(() => {}),
        delete: () => new Promise(() => {}),
        clear: () => Promise.resolve(),
      };
      const started = await site.start({
        emulator: { appId: APP_ID },
        wechat: {
          store: new Keyv({ store: silent }),
          storeTimeout: 0.05,
          logger: { warn: (line) => warnings.push(line) },
          push: { token: PUSH_TOKEN },
        },
      });
      const band = started.emulator.findUser('Band')!.openid;
      const signed = signedPush({ mode: 'plaintext', appId: APP_ID, xml: eventXml(band, 'unsubscribe') });
      const startedAt = Date.now();
      const answer = await post(started, signed.query, signed.body);
      expect([answer.status, answer.text]).to.deep.equal([200, 'success']);
      expect(Date.now() - startedAt).to.be.below(3000);
      expect(warnings.join('\n')).to.match(/the store failed/);
    });
  });
});
