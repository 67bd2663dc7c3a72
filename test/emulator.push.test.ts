import { createDecipheriv, createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { expect } from 'chai';
import { createEmulator, type Emulator, type EmulatorOptions, type PushDelivery, type PushOptions } from '../lib/emulator/index.js';
import { PushCipher, parseFlatXml, pushSignature } from '../lib/push/index.js';
import { useEmulator } from './support/emulator.js';
import { HANG_TIMEOUT, rejectionOf } from './support/fixtures.js';
import { RECEIVER_PATH, closedPortUrl, usePushReceiver, type Behaviour, type PushReceiver, type ReceivedRequest } from './support/push-receiver.js';

/** The reference's token, key and appid (/work/shared/wechat-api.md). */
const TOKEN = 'AAAAA';
const KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const REFERENCE_APP_ID = 'wxb11529c136998cb6';
/** The emulator's default AppID is wx0123456789abcdef: `gh_` and its characters 2..14. */
const DEFAULT_ACCOUNT_ID = 'gh_0123456789ab';
const EVENT_FIELDS = ['ToUserName', 'FromUserName', 'CreateTime', 'MsgType', 'Event', 'EventKey'];
const PLAIN_QUERY = ['signature', 'timestamp', 'nonce', 'openid'];
const SAFE_QUERY = [...PLAIN_QUERY, 'encrypt_type', 'msg_signature'];

/** WeChat's signature, written here from the reference rather than taken from lib/push. */
function sha1OfSorted(...parts: string[]): string {
  return createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');
}

/** Safe mode's decryption, written here from the reference: AES-256-CBC, IV = key[0..16], 32-byte PKCS#7. */
function decryptOnOurOwn(encrypt: string, encodingAESKey: string): { message: string; appId: string } {
  const key = Buffer.from(`${encodingAESKey}=`, 'base64');
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()]);
  const content = plain.subarray(0, plain.length - plain[plain.length - 1]!);
  const length = content.readUInt32BE(16);
  return { message: content.subarray(20, 20 + length).toString('utf8'), appId: content.subarray(20 + length).toString('utf8') };
}

/** The one request the receiver got. */
function only(receiver: PushReceiver): ReceivedRequest {
  expect(receiver.requests, 'requests to the push URL').to.have.length(1);
  return receiver.requests[0]!;
}

function delivered(push: PushDelivery | undefined): PushDelivery {
  expect(push, 'the push delivery').to.not.equal(undefined);
  return push!;
}

/** The emulator's clock in unix seconds, read from outside: the clock is real time plus what a test advanced. */
function emulatorSeconds(advanced: number): number {
  return Math.floor(Date.now() / 1000 + advanced);
}

/** A fetch to the console's control API, as a script (JSON) or the console page's form would make it. */
async function consolePost(
  emulator: Emulator,
  action: string,
  body: Record<string, unknown>,
  as: 'json' | 'form',
  headers: Record<string, string> = {},
): Promise<Response> {
  const payload = as === 'json' ? JSON.stringify(body) : new URLSearchParams(body as Record<string, string>).toString();
  return fetch(`${emulator.url}/emulator/api/${action}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': as === 'json' ? 'application/json' : 'application/x-www-form-urlencoded', ...headers },
    body: payload,
  });
}

describe('emulator push sender (follow and unfollow events sent to the push URL)', () => {
  const h = useEmulator();
  const receivers = usePushReceiver();

  /** An emulator that pushes to a fresh receiver with token AAAAA. */
  async function setup(push: Partial<PushOptions> = {}, options: EmulatorOptions = {}, behaviours: Behaviour[] = []) {
    const receiver = await receivers.start(behaviours);
    const { emulator, client } = await h.start({ ...options, push: { url: receiver.url, token: TOKEN, ...push } });
    const band = emulator.findUser('Band');
    const visitor = emulator.findUser('Visitor');
    if (band === undefined || visitor === undefined) throw new Error('the default users are missing');
    return { emulator, client, receiver, band, visitor };
  }

  describe('the signature scheme', () => {
    const vectors = [
      { timestamp: '1714036504', nonce: '1514711492', signature: 'f464b24fc39322e44b38aa78f5edd27bd1441696' },
      { timestamp: '1714037059', nonce: '486452656', signature: '899cf89e464efb63f54ddac96b0a0a235f53aa78' },
    ];
    for (const { timestamp, nonce, signature } of vectors) {
      it(`gives the reference signature for token AAAAA, timestamp ${timestamp}, nonce ${nonce}, both in lib/push and on our own`, () => {
        expect(pushSignature(TOKEN, timestamp, nonce)).to.equal(signature);
        expect(sha1OfSorted(TOKEN, timestamp, nonce)).to.equal(signature);
      });
    }

    it('gives the reference AES vector through PushCipher, and our own decryption reads it back', () => {
      const vector = 'jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==';
      const cipher = new PushCipher(KEY, REFERENCE_APP_ID);
      expect(cipher.encrypt('我是中文abcd123', Buffer.from('aaaabbbbccccdddd'))).to.equal(vector);
      expect(cipher.decrypt(vector)).to.equal('我是中文abcd123');
      expect(decryptOnOurOwn(vector, KEY)).to.deep.equal({ message: '我是中文abcd123', appId: REFERENCE_APP_ID });
    });
  });

  describe('plaintext mode', () => {
    it('follow() POSTs one subscribe event, signed with sha1 of the sorted token, timestamp and nonce, at the emulator time', async () => {
      const { emulator, receiver, visitor } = await setup();
      emulator.advanceClock(3600);
      const before = emulatorSeconds(3600);
      const { user, push } = await emulator.follow(visitor.openid);
      const after = emulatorSeconds(3600);

      const request = only(receiver);
      expect(request.method).to.equal('POST');
      expect(request.path).to.equal(RECEIVER_PATH);
      expect(request.headers['content-type']).to.match(/^text\/xml/);
      expect(request.params.map(([name]) => name)).to.deep.equal(PLAIN_QUERY);
      const { signature, timestamp, nonce, openid } = request.query;
      expect(openid).to.equal(visitor.openid);
      expect(nonce).to.match(/^\d+$/);
      expect(Number(timestamp)).to.be.within(before, after);
      expect(signature).to.match(/^[0-9a-f]{40}$/);
      expect(signature).to.equal(sha1OfSorted(TOKEN, timestamp!, nonce!));
      expect(signature).to.equal(pushSignature(TOKEN, timestamp!, nonce!));

      const event = parseFlatXml(request.body);
      expect(Object.keys(event)).to.deep.equal(EVENT_FIELDS);
      expect(event).to.deep.include({
        ToUserName: DEFAULT_ACCOUNT_ID,
        FromUserName: visitor.openid,
        MsgType: 'event',
        Event: 'subscribe',
        EventKey: '',
      });
      expect(event.CreateTime).to.match(/^\d+$/);
      expect(Number(event.CreateTime)).to.be.within(before, after);

      const delivery = delivered(push);
      expect(delivery).to.deep.include({
        event: 'subscribe',
        openid: visitor.openid,
        createTime: Number(event.CreateTime),
        mode: 'plaintext',
        outcome: 'delivered',
      });
      expect(delivery.attempts.map((attempt) => [attempt.status, attempt.reply, attempt.error])).to.deep.equal([[200, 'success', undefined]]);
      expect(emulator.pushes()).to.deep.equal([delivery]);
      expect(user).to.deep.include({ openid: visitor.openid, subscribed: true });
    });

    it('unfollow() of a follower sends one unsubscribe event', async () => {
      const { emulator, receiver, band } = await setup();
      const { push } = await emulator.unfollow(band.openid);
      const request = only(receiver);
      expect(request.query.openid).to.equal(band.openid);
      expect(request.query.signature).to.equal(sha1OfSorted(TOKEN, request.query.timestamp!, request.query.nonce!));
      expect(parseFlatXml(request.body)).to.deep.include({
        ToUserName: DEFAULT_ACCOUNT_ID,
        FromUserName: band.openid,
        MsgType: 'event',
        Event: 'unsubscribe',
        EventKey: '',
      });
      expect(delivered(push)).to.deep.include({ event: 'unsubscribe', outcome: 'delivered' });
    });

    it('follow and unfollow change the user, in findUser() and in /cgi-bin/user/info', async () => {
      const { emulator, client, band, visitor } = await setup();
      const { access_token: accessToken } = await client.fetchClassicToken();
      expect((await client.fetchUserInfo({ accessToken, openid: visitor.openid })).subscribe).to.equal(0);

      const followed = await emulator.follow(visitor.openid);
      const createTime = delivered(followed.push).createTime;
      expect(emulator.findUser('Visitor')).to.deep.include({ subscribed: true, subscribeTime: createTime });
      const info = await client.fetchUserInfo({ accessToken, openid: visitor.openid });
      expect(info.subscribe).to.equal(1);
      if (info.subscribe === 1) expect(info.subscribe_time).to.equal(createTime);

      await emulator.unfollow(band.openid);
      expect(emulator.findUser(band.openid)).to.deep.include({ subscribed: false, subscribeTime: undefined });
      expect((await client.fetchUserInfo({ accessToken, openid: band.openid })).subscribe).to.equal(0);
    });

    const noChange = [
      { title: 'following someone who follows already', user: 'Band', action: 'follow' },
      { title: 'unfollowing someone who does not follow', user: 'Visitor', action: 'unfollow' },
    ] as const;
    for (const { title, user, action } of noChange) {
      it(`${title} sends nothing and changes nothing`, async () => {
        const { emulator, receiver } = await setup();
        const before = emulator.findUser(user)!;
        const result = await emulator[action](before.openid);
        await emulator.pushesSettled();
        expect(result.push).to.equal(undefined);
        expect(result.user).to.deep.equal(before);
        expect(emulator.findUser(user)).to.deep.equal(before);
        expect(receiver.requests).to.have.length(0);
        expect(emulator.pushes()).to.deep.equal([]);
      });
    }

    it('follow() and unfollow() of an unknown openid reject with a TypeError and send nothing', async () => {
      const { emulator, receiver } = await setup();
      for (const change of [emulator.follow('oNoSuchUser0000000000000000x'), emulator.unfollow('oNoSuchUser0000000000000000x')]) {
        expect(await rejectionOf(change)).to.be.instanceOf(TypeError);
      }
      await emulator.pushesSettled();
      expect(receiver.requests).to.have.length(0);
    });

    const accounts = [
      { title: 'the accountId option', options: { accountId: 'gh_myaccount01' }, toUserName: 'gh_myaccount01' },
      { title: 'gh_ and characters 2..14 of another AppID', options: { appId: REFERENCE_APP_ID }, toUserName: 'gh_b11529c13699' },
    ];
    for (const { title, options, toUserName } of accounts) {
      it(`addresses the event (ToUserName) to ${title}`, async () => {
        const { emulator, receiver, visitor } = await setup({}, options);
        await emulator.follow(visitor.openid);
        expect(parseFlatXml(only(receiver).body).ToUserName).to.equal(toUserName);
      });
    }

    it('keeps a query string the push URL already has, and appends the signed parameters after it', async () => {
      const receiver = await receivers.start();
      const { emulator } = await h.start({ push: { url: `${receiver.url}?site=demo`, token: TOKEN } });
      await emulator.follow(emulator.findUser('Visitor')!.openid);
      expect(only(receiver).params.map(([name]) => name)).to.deep.equal(['site', ...PLAIN_QUERY]);
      expect(only(receiver).query.site).to.equal('demo');
    });
  });

  describe('safe and compatible modes', () => {
    it('safe mode: msg_signature over the Encrypt value, a body of ToUserName and Encrypt only, and the event inside', async () => {
      const { emulator, receiver, visitor } = await setup({ mode: 'safe', encodingAESKey: KEY }, { appId: REFERENCE_APP_ID });
      const before = emulatorSeconds(0);
      const { push } = await emulator.follow(visitor.openid);
      const after = emulatorSeconds(0);

      const request = only(receiver);
      expect(request.params.map(([name]) => name)).to.deep.equal(SAFE_QUERY);
      const { signature, timestamp, nonce, openid, encrypt_type, msg_signature } = request.query;
      expect(openid).to.equal(visitor.openid);
      expect(encrypt_type).to.equal('aes');
      expect(signature).to.equal(sha1OfSorted(TOKEN, timestamp!, nonce!));
      expect(request.body).to.match(
        /^<xml><ToUserName><!\[CDATA\[gh_b11529c13699\]\]><\/ToUserName><Encrypt><!\[CDATA\[[A-Za-z0-9+/]+={0,2}\]\]><\/Encrypt><\/xml>$/,
      );
      const envelope = parseFlatXml(request.body);
      expect(Object.keys(envelope)).to.deep.equal(['ToUserName', 'Encrypt']);
      const encrypt = envelope.Encrypt!;
      expect(msg_signature).to.equal(sha1OfSorted(TOKEN, timestamp!, nonce!, encrypt));

      const plain = new PushCipher(KEY, REFERENCE_APP_ID).decrypt(encrypt);
      expect(decryptOnOurOwn(encrypt, KEY)).to.deep.equal({ message: plain, appId: REFERENCE_APP_ID });
      const event = parseFlatXml(plain);
      expect(Object.keys(event)).to.deep.equal(EVENT_FIELDS);
      expect(event).to.deep.include({
        ToUserName: 'gh_b11529c13699',
        FromUserName: visitor.openid,
        MsgType: 'event',
        Event: 'subscribe',
        EventKey: '',
      });
      expect(Number(event.CreateTime)).to.be.within(before, after);
      expect(delivered(push)).to.deep.include({ mode: 'safe', outcome: 'delivered' });
    });

    it('a key without a mode means safe mode', async () => {
      const { emulator, receiver, band } = await setup({ encodingAESKey: KEY });
      await emulator.unfollow(band.openid);
      const request = only(receiver);
      expect(request.query.encrypt_type).to.equal('aes');
      const envelope = parseFlatXml(request.body);
      expect(Object.keys(envelope)).to.deep.equal(['ToUserName', 'Encrypt']);
      expect(parseFlatXml(new PushCipher(KEY, emulator.appId).decrypt(envelope.Encrypt!)).Event).to.equal('unsubscribe');
    });

    it('plaintext mode with a key sends no Encrypt and no encrypt_type', async () => {
      const { emulator, receiver, visitor } = await setup({ mode: 'plaintext', encodingAESKey: KEY });
      await emulator.follow(visitor.openid);
      const request = only(receiver);
      expect(request.params.map(([name]) => name)).to.deep.equal(PLAIN_QUERY);
      expect(Object.keys(parseFlatXml(request.body))).to.deep.equal(EVENT_FIELDS);
    });

    it('compatible mode: the plaintext fields and an Encrypt element side by side, signed both ways', async () => {
      const { emulator, receiver, visitor } = await setup({ mode: 'compatible', encodingAESKey: KEY });
      const { push } = await emulator.follow(visitor.openid);
      const request = only(receiver);
      expect(request.params.map(([name]) => name)).to.deep.equal(SAFE_QUERY);
      const { signature, timestamp, nonce, encrypt_type, msg_signature } = request.query;
      expect(encrypt_type).to.equal('aes');
      expect(signature).to.equal(sha1OfSorted(TOKEN, timestamp!, nonce!));
      const body = parseFlatXml(request.body);
      expect(Object.keys(body)).to.deep.equal([...EVENT_FIELDS, 'Encrypt']);
      const { Encrypt: encrypt, ...plainFields } = body;
      expect(msg_signature).to.equal(sha1OfSorted(TOKEN, timestamp!, nonce!, encrypt!));
      expect(plainFields).to.deep.include({ ToUserName: DEFAULT_ACCOUNT_ID, FromUserName: visitor.openid, Event: 'subscribe' });
      expect(parseFlatXml(new PushCipher(KEY, emulator.appId).decrypt(encrypt!))).to.deep.equal(plainFields);
      expect(delivered(push)).to.deep.include({ mode: 'compatible', outcome: 'delivered' });
    });
  });

  describe('retries, as WeChat retries', () => {
    const modes = [{ mode: 'plaintext' }, { mode: 'safe', encodingAESKey: KEY }] as const;
    for (const push of modes) {
      it(`${push.mode}: 500, 500, then success makes three identical requests (same query, same body) and delivers`, async () => {
        const { emulator, receiver, visitor } = await setup(push, {}, ['http500', 'http500', 'success']);
        const { push: delivery } = await emulator.follow(visitor.openid);
        expect(receiver.requests).to.have.length(3);
        const [first, ...rest] = receiver.requests;
        for (const retry of rest) {
          expect(retry.method).to.equal('POST');
          expect(retry.search).to.equal(first!.search);
          expect(retry.body).to.equal(first!.body);
        }
        expect(delivered(delivery).outcome).to.equal('delivered');
        expect(delivery!.attempts.map((attempt) => attempt.status)).to.deep.equal([500, 500, 200]);
        expect(delivery!.attempts.map((attempt) => attempt.error === undefined)).to.deep.equal([false, false, true]);
      });
    }

    it('tries again when the receiver hangs past push.timeout', async () => {
      const { emulator, receiver, visitor } = await setup({ timeout: HANG_TIMEOUT }, {}, ['hang', 'success']);
      const { push } = await emulator.follow(visitor.openid);
      const delivery = delivered(push);
      expect(delivery.outcome).to.equal('delivered');
      // Two tries, or three should a loaded machine make the second miss the short timeout too.
      expect(delivery.attempts.length).to.be.at.least(2);
      expect(receiver.requests).to.have.length(delivery.attempts.length);
      for (const retry of receiver.requests.slice(1)) {
        expect(retry.search).to.equal(receiver.requests[0]!.search);
        expect(retry.body).to.equal(receiver.requests[0]!.body);
      }
      expect(delivery.attempts[0]).to.deep.include({ status: undefined, reply: undefined });
      expect(delivery.attempts[0]!.error)
        .to.be.a('string')
        .and.match(/answer|time/i);
    });

    const failures: Array<{ title: string; push: Partial<PushOptions>; behaviours: Behaviour[]; tries: number }> = [
      { title: 'three 500s: three tries in all by default', push: {}, behaviours: ['http500', 'http500', 'http500', 'success'], tries: 3 },
      { title: 'three hangs', push: { timeout: HANG_TIMEOUT }, behaviours: ['hang', 'hang', 'hang', 'success'], tries: 3 },
      { title: 'attempts: 1 and a 500: no retry', push: { attempts: 1 }, behaviours: ['http500', 'success'], tries: 1 },
      {
        title: 'attempts: 5 and five 500s',
        push: { attempts: 5 },
        behaviours: ['http500', 'http500', 'http500', 'http500', 'http500', 'success'],
        tries: 5,
      },
      { title: 'a redirect is not followed, and is a failure', push: { attempts: 1 }, behaviours: [{ status: 302, text: '' }], tries: 1 },
    ];
    for (const { title, push, behaviours, tries } of failures) {
      it(`gives up as failed: ${title}`, async () => {
        const { emulator, receiver, visitor } = await setup(push, {}, behaviours);
        const delivery = delivered((await emulator.follow(visitor.openid)).push);
        expect(receiver.requests).to.have.length(tries);
        expect(delivery.outcome).to.equal('failed');
        expect(delivery.attempts).to.have.length(tries);
        expect(delivery.attempts.every((attempt) => typeof attempt.error === 'string')).to.equal(true);
        // The user followed whatever the site answered.
        expect(emulator.findUser(visitor.openid)!.subscribed).to.equal(true);
      });
    }

    const replies: Array<{ behaviour: Behaviour; outcome: PushDelivery['outcome'] }> = [
      { behaviour: 'success', outcome: 'delivered' },
      { behaviour: 'empty', outcome: 'delivered' },
      { behaviour: { text: 'ok' }, outcome: 'bad_reply' },
      { behaviour: { text: '<xml><ToUserName><![CDATA[x]]></ToUserName></xml>' }, outcome: 'bad_reply' },
      { behaviour: { text: 'SUCCESS' }, outcome: 'bad_reply' },
      { behaviour: { text: 'nothing here', status: 204 }, outcome: 'delivered' },
      { behaviour: { text: 'accepted', status: 202 }, outcome: 'bad_reply' },
    ];
    for (const { behaviour, outcome } of replies) {
      it(`a 2xx answer ${JSON.stringify(behaviour)} is ${outcome}, and is not tried again`, async () => {
        const { emulator, receiver, visitor } = await setup({}, {}, [behaviour, 'success']);
        const delivery = delivered((await emulator.follow(visitor.openid)).push);
        expect(receiver.requests).to.have.length(1);
        expect(delivery.outcome).to.equal(outcome);
        expect(delivery.attempts).to.have.length(1);
      });
    }

    it('a push URL where nothing listens fails after every try, without crashing the emulator', async () => {
      const { emulator, client } = await h.start({ push: { url: await closedPortUrl(), token: TOKEN } });
      const visitor = emulator.findUser('Visitor')!;
      const delivery = delivered((await emulator.follow(visitor.openid)).push);
      expect(delivery.outcome).to.equal('failed');
      expect(delivery.attempts).to.have.length(3);
      expect(delivery.attempts.map((attempt) => attempt.status)).to.deep.equal([undefined, undefined, undefined]);
      expect(delivery.attempts[0]!.error).to.match(/ECONNREFUSED|refused/i);
      // Still serving, and the follow took effect.
      const { access_token: accessToken } = await client.fetchClassicToken();
      expect((await client.fetchUserInfo({ accessToken, openid: visitor.openid })).subscribe).to.equal(1);
      expect(emulator.pushes()).to.deep.equal([delivery]);
    });
  });

  describe('the console API (/emulator/api/*)', () => {
    it('a form POST to unfollow redirects back to /emulator after sending the unsubscribe push', async () => {
      const { emulator, receiver, band } = await setup();
      const response = await consolePost(emulator, 'unfollow', { openid: band.openid }, 'form');
      expect(response.status).to.be.oneOf([302, 303]);
      expect(new URL(response.headers.get('location')!, emulator.url).pathname).to.equal('/emulator');
      expect(parseFlatXml(only(receiver).body)).to.deep.include({ FromUserName: band.openid, Event: 'unsubscribe' });
      expect(emulator.findUser(band.openid)!.subscribed).to.equal(false);
      expect(emulator.pushes().map((push) => push.outcome)).to.deep.equal(['delivered']);
    });

    it('a form POST to follow may name the user by nickname', async () => {
      const { emulator, receiver, visitor } = await setup();
      const response = await consolePost(emulator, 'follow', { nickname: 'Visitor' }, 'form');
      expect(response.status).to.be.oneOf([302, 303]);
      expect(parseFlatXml(only(receiver).body)).to.deep.include({ FromUserName: visitor.openid, Event: 'subscribe' });
    });

    it('the JSON API answers JSON with the user and the push delivery', async () => {
      const { emulator, receiver, visitor } = await setup();
      const response = await consolePost(emulator, 'follow', { openid: visitor.openid }, 'json');
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.match(/^application\/json/);
      const body = (await response.json()) as { user: Record<string, unknown>; push: Record<string, unknown> };
      expect(body.user).to.deep.include({ openid: visitor.openid, nickname: 'Visitor', subscribed: true });
      expect(body.push).to.deep.include({ event: 'subscribe', openid: visitor.openid, mode: 'plaintext', outcome: 'delivered' });
      expect(body.push.createTime).to.equal(Number(parseFlatXml(only(receiver).body).CreateTime));
      expect(body.push.attempts).to.have.length(1);
    });

    const unknown = [
      { action: 'follow', body: { openid: 'oNoSuchUser0000000000000000x' } },
      { action: 'unfollow', body: { openid: 'oNoSuchUser0000000000000000x' } },
      { action: 'follow', body: { nickname: 'Nobody' } },
      { action: 'unfollow', body: {} },
    ];
    for (const { action, body } of unknown) {
      it(`${action} with ${JSON.stringify(body)} answers 400 JSON and sends nothing`, async () => {
        const { emulator, receiver } = await setup();
        const before = emulator.users();
        const response = await consolePost(emulator, action, body, 'json');
        expect(response.status).to.equal(400);
        expect(response.headers.get('content-type')).to.match(/^application\/json/);
        expect(((await response.json()) as { error: unknown }).error).to.be.a('string').that.is.not.empty;
        await emulator.pushesSettled();
        expect(receiver.requests).to.have.length(0);
        expect(emulator.users()).to.deep.equal(before);
      });
    }

    const crossSite = [
      { action: 'unfollow', as: 'form', body: (band: string) => ({ openid: band }) },
      { action: 'unfollow', as: 'json', body: (band: string) => ({ openid: band }) },
      { action: 'users', as: 'json', body: () => ({ nickname: 'Mallory', subscribed: true }) },
      { action: 'push/verify', as: 'json', body: () => ({}) },
    ] as const;
    for (const { action, as, body } of crossSite) {
      it(`a cross-site ${as} POST to ${action} gets 403 and changes nothing`, async () => {
        const { emulator, receiver, band } = await setup();
        const before = emulator.users();
        const response = await consolePost(emulator, action, body(band.openid), as, { 'sec-fetch-site': 'cross-site' });
        expect(response.status).to.equal(403);
        await emulator.pushesSettled();
        expect(emulator.users()).to.deep.equal(before);
        expect(receiver.requests).to.have.length(0);
        expect(emulator.pushes()).to.deep.equal([]);
      });
    }

    it('POST /emulator/api/users with subscribed: true answers 201 and sends a subscribe push for the new user', async () => {
      const { emulator, receiver } = await setup();
      const response = await consolePost(emulator, 'users', { nickname: 'Newcomer', subscribed: true }, 'json');
      expect(response.status).to.equal(201);
      const created = (await response.json()) as { openid: string; subscribed: boolean };
      expect(created.subscribed).to.equal(true);
      await emulator.pushesSettled();
      expect(parseFlatXml(only(receiver).body)).to.deep.include({ FromUserName: created.openid, Event: 'subscribe' });
    });

    it('POST /emulator/api/push/verify runs the URL check and answers its result', async () => {
      const { emulator, receiver } = await setup({}, {}, ['echo']);
      const response = await consolePost(emulator, 'push/verify', {}, 'json');
      expect(response.status).to.equal(200);
      expect(await response.json()).to.deep.include({ ok: true, status: 200 });
      expect(only(receiver).method).to.equal('GET');
    });
  });

  describe('createUser()', () => {
    it('creating a user who follows sends a subscribe push, at the time they followed', async () => {
      const { emulator, receiver } = await setup();
      emulator.advanceClock(120);
      const created = emulator.createUser({ nickname: 'Newcomer', subscribed: true });
      await emulator.pushesSettled();
      const event = parseFlatXml(only(receiver).body);
      expect(event).to.deep.include({ FromUserName: created.openid, Event: 'subscribe', ToUserName: DEFAULT_ACCOUNT_ID });
      expect(Number(event.CreateTime)).to.equal(created.subscribeTime);
      expect(emulator.pushes().map((push) => [push.event, push.openid, push.outcome])).to.deep.equal([['subscribe', created.openid, 'delivered']]);
    });

    it('creating a user who does not follow sends nothing, and neither do the users seeded at start', async () => {
      const receiver = await receivers.start();
      const { emulator } = await h.start({
        users: [{ nickname: 'Seeded', subscribed: true }, { nickname: 'Other' }],
        push: { url: receiver.url, token: TOKEN },
      });
      expect(emulator.findUser('Seeded')!.subscribed).to.equal(true);
      emulator.createUser({ nickname: 'Lurker' });
      await emulator.pushesSettled();
      expect(receiver.requests).to.have.length(0);
      expect(emulator.pushes()).to.deep.equal([]);
    });
  });

  describe('verifyPushUrl()', () => {
    it('sends a signed GET with signature, timestamp, nonce and echostr; echoing echostr gives ok: true', async () => {
      const { emulator, receiver } = await setup({}, {}, ['echo']);
      emulator.advanceClock(60);
      const before = emulatorSeconds(60);
      const result = await emulator.verifyPushUrl();
      const request = only(receiver);
      expect(request.method).to.equal('GET');
      expect(request.path).to.equal(RECEIVER_PATH);
      expect(request.body).to.equal('');
      expect([...request.params.map(([name]) => name)].sort()).to.deep.equal(['echostr', 'nonce', 'signature', 'timestamp']);
      const { signature, timestamp, nonce, echostr } = request.query;
      expect(echostr).to.be.a('string').that.is.not.empty;
      expect(Number(timestamp)).to.be.within(before, emulatorSeconds(60));
      expect(signature).to.equal(sha1OfSorted(TOKEN, timestamp!, nonce!));
      expect(result).to.deep.equal({ ok: true, status: 200, error: undefined });
      // A URL check is no event.
      expect(emulator.pushes()).to.deep.equal([]);
    });

    const wrong: Behaviour[] = ['success', 'empty', { text: 'echostr' }, 'http500', 'hang'];
    for (const behaviour of wrong) {
      it(`answering ${JSON.stringify(behaviour)} instead of the echostr gives ok: false`, async () => {
        const { emulator, receiver } = await setup({ timeout: HANG_TIMEOUT }, {}, [behaviour]);
        const result = await emulator.verifyPushUrl();
        expect(receiver.requests).to.have.length(1);
        expect(result.ok).to.equal(false);
        expect(result.error).to.be.a('string').that.is.not.empty;
      });
    }

    it('without a push URL gives ok: false', async () => {
      const { emulator } = await h.start();
      expect((await emulator.verifyPushUrl()).ok).to.equal(false);
    });
  });

  describe('push options', () => {
    const url = 'http://127.0.0.1:3000/wechat/events';
    const bad: Array<{ push: Record<string, unknown>; option: string }> = [
      { push: { url, token: 'ab' }, option: 'push.token' },
      { push: { url, token: 'abc-def' }, option: 'push.token' },
      { push: { url, token: 'a'.repeat(33) }, option: 'push.token' },
      { push: { url, token: 'ab', encodingAESKey: KEY }, option: 'push.token' },
      { push: { url: 'not a url', token: TOKEN }, option: 'push.url' },
      { push: { url: 'ftp://127.0.0.1/events', token: TOKEN }, option: 'push.url' },
      { push: { url: 'not a url', token: TOKEN, encodingAESKey: KEY }, option: 'push.url' },
      { push: { url, token: TOKEN, encodingAESKey: KEY.slice(0, 42) }, option: 'push.encodingAESKey' },
      { push: { url, token: TOKEN, encodingAESKey: `${KEY.slice(0, 42)}-` }, option: 'push.encodingAESKey' },
      { push: { url, token: TOKEN, mode: 'safe' }, option: 'push.encodingAESKey' },
      { push: { url, token: TOKEN, mode: 'compatible' }, option: 'push.encodingAESKey' },
      { push: { url, token: TOKEN, mode: 'secure', encodingAESKey: KEY }, option: 'push.mode' },
      { push: { url, token: TOKEN, timeout: 0 }, option: 'push.timeout' },
      { push: { url, token: TOKEN, attempts: 0 }, option: 'push.attempts' },
    ];
    for (const { push, option } of bad) {
      const { url: pushUrl, ...rest } = push;
      const label = JSON.stringify(pushUrl === url ? rest : push)
        .replace(KEY, '<key>')
        .replace(KEY.slice(0, 42), '<key 42>');
      it(`rejects ${label} with a TypeError naming ${option}, and not the key`, () => {
        let thrown: unknown;
        try {
          createEmulator({ push: push as unknown as PushOptions });
        } catch (error) {
          thrown = error;
        }
        expect(thrown).to.be.instanceOf(TypeError);
        const message = (thrown as TypeError).message;
        expect(message).to.include(option);
        const key = push.encodingAESKey;
        if (typeof key === 'string') {
          expect(message).to.not.include(key);
          expect(inspect(thrown)).to.not.include(key);
        }
      });
    }

    it('keeps the key out of the options, the snapshot and their printouts', () => {
      const emulator = createEmulator({ push: { url, token: TOKEN, encodingAESKey: KEY } });
      expect(emulator.options.push).to.deep.include({ url, token: TOKEN, mode: 'safe', timeout: 5, attempts: 3 });
      for (const shown of [JSON.stringify(emulator.options), inspect(emulator.options, { depth: null }), JSON.stringify(emulator.snapshot())]) {
        expect(shown).to.not.include(KEY);
      }
    });
  });

  describe('close()', () => {
    it('waits for pushes in flight, leaving no pending delivery and no unhandled rejection', async () => {
      const rejections: unknown[] = [];
      const onRejection = (reason: unknown): void => void rejections.push(reason);
      process.on('unhandledRejection', onRejection);
      try {
        const { emulator, receiver } = await setup({ timeout: HANG_TIMEOUT, attempts: 2 });
        receiver.fallback = 'hang';
        emulator.createUser({ nickname: 'Newcomer', subscribed: true });
        const following = emulator.follow(emulator.findUser('Visitor')!.openid);
        await emulator.close();
        expect(emulator.pushes().map((push) => [push.event, push.outcome, push.attempts.length])).to.deep.equal([
          ['subscribe', 'failed', 2],
          ['subscribe', 'failed', 2],
        ]);
        expect(receiver.requests).to.have.length(4);
        expect(delivered((await following).push).outcome).to.equal('failed');
        await new Promise((resolve) => setImmediate(resolve));
        expect(rejections).to.deep.equal([]);
      } finally {
        process.off('unhandledRejection', onRejection);
      }
    });

    it('waits for a push to a closed port and settles it as failed', async () => {
      const { emulator } = await h.start({ push: { url: await closedPortUrl(), token: TOKEN } });
      emulator.createUser({ nickname: 'Newcomer', subscribed: true });
      await emulator.close();
      expect(emulator.pushes().map((push) => push.outcome)).to.deep.equal(['failed']);
    });
  });
});
