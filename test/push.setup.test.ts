/**
 * Setting the push endpoint up: its options fail at start-up with the option's name and never the token or the
 * key; it is served wherever a Koa user mounts the library with `app.use` (routes(), a gate, the drop-in, a
 * koa-mount sub-app), and a body parser that ate the body first is a setup error that names the fix.
 */
import { inspect } from 'node:util';
import { expect } from 'chai';
import Koa from 'koa';
import mount from 'koa-mount';
import session from 'koa-session';
import supertest from 'supertest';
import { createWeChat, requireSubscription, WeChatOptionsError, type WeChatOptions } from '../lib/index.js';
import { startEmulator, type Emulator } from '../lib/emulator/index.js';
import { EMULATOR_SEED } from './support/emulator.js';
import { AES_KEY, eventXml, PUSH_TOKEN, signedPush } from './support/push-client.js';
import { optionsFor } from './support/services.js';
import { SESSION_KEYS } from './support/site.js';

describe('push: setup', () => {
  let emulator: Emulator;
  const closing: Array<() => Promise<void>> = [];
  beforeEach(async () => {
    emulator = await startEmulator({ seed: EMULATOR_SEED });
  });
  afterEach(async () => {
    for (const close of closing.splice(0).reverse()) await close();
    await emulator.close();
  });

  const wechatWith = (push: unknown, extra: Partial<WeChatOptions> = {}) => {
    const wechat = createWeChat({ ...optionsFor(emulator), ...extra, push: push as WeChatOptions['push'] });
    closing.push(() => wechat.close());
    return wechat;
  };

  describe('options', () => {
    const cases: Array<[string, unknown, string, RegExp]> = [
      ['a token with a dash', { token: 'my-secret-token' }, 'push.token', /3 to 32 letters and digits/],
      ['a token of 33 characters', { token: 'a'.repeat(33) }, 'push.token', /3 to 32 letters and digits/],
      ['a key of 42 characters', { token: PUSH_TOKEN, encodingAESKey: AES_KEY.slice(1) }, 'push.encodingAESKey', /43 letters and digits/],
      ['safe mode without a key', { token: PUSH_TOKEN, mode: 'safe' }, 'push.encodingAESKey', /required in safe mode/],
      ['another mode', { token: PUSH_TOKEN, mode: 'aes' }, 'push.mode', /'plaintext', 'compatible' or 'safe'/],
      ['a misspelt option', { token: PUSH_TOKEN, encodingAesKey: AES_KEY }, 'push.encodingAesKey', /did you mean "encodingAESKey"/],
      ['a path that is no path', { token: PUSH_TOKEN, path: 'wechat/events' }, 'push.path', /a path such as/],
      ['a window of 10 s', { token: PUSH_TOKEN, timestampWindow: 10 }, 'push.timestampWindow', /from 30 to 86400/],
      ["a reply timeout past WeChat's 5 s", { token: PUSH_TOKEN, replyTimeout: 5 }, 'push.replyTimeout', /from 0.01 to 4.5/],
      ['an onEvent that is no function', { token: PUSH_TOKEN, onEvent: 'log' }, 'push.onEvent', /a function/],
      ['a string', 'token', 'push', /an object such as \{ token \}/],
    ];
    for (const [title, push, option, message] of cases) {
      it(`${title}: WeChatOptionsError naming ${option}, quoting neither token nor key`, () => {
        let error: unknown;
        try {
          wechatWith(push);
        } catch (caught) {
          error = caught;
        }
        expect(error).to.be.instanceOf(WeChatOptionsError);
        expect((error as WeChatOptionsError).option).to.equal(option);
        expect((error as Error).message).to.match(message);
        for (const secret of ['my-secret-token', 'a'.repeat(33), PUSH_TOKEN, AES_KEY, AES_KEY.slice(1)])
          expect((error as Error).message).not.to.include(secret);
      });
    }

    it('push.path equal to callbackPath is refused', () => {
      expect(() => wechatWith({ token: PUSH_TOKEN, path: '/wechat/callback' }, { callbackPath: '/wechat/callback' })).to.throw(
        WeChatOptionsError,
        /must differ from callbackPath/,
      );
    });

    it('the resolved options show the path and mode, never the token or key: not in JSON, not in util.inspect', () => {
      const wechat = wechatWith({ token: PUSH_TOKEN, encodingAESKey: AES_KEY });
      expect(wechat.site.push).to.include({ path: '/wechat/events', mode: 'safe', timestampWindow: 300, replyTimeout: 3 });
      for (const text of [JSON.stringify(wechat.site), inspect(wechat.site, { depth: 10, showHidden: true }), inspect(wechat, { depth: 10 })]) {
        expect(text).not.to.include(PUSH_TOKEN);
        expect(text).not.to.include(AES_KEY);
      }
    });
  });

  describe('where it is served', () => {
    async function serve(app: Koa): Promise<supertest.Agent> {
      const server = app.listen(0, '127.0.0.1');
      await new Promise<void>((resolve) => server.once('listening', resolve));
      closing.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
      return supertest.agent(server);
    }
    const band = () => emulator.findUser('Band')!.openid;
    const push = (path = '/wechat/events') => {
      const signed = signedPush({ mode: 'plaintext', appId: emulator.appId, xml: eventXml(band(), 'unsubscribe') });
      return { path: `${path}?${signed.query}`, body: signed.body };
    };
    const newApp = () => {
      const app = new Koa();
      app.keys = SESSION_KEYS;
      app.silent = true;
      app.use(session(app));
      return app;
    };

    it('by the drop-in mounted with app.use, which gates every other path', async () => {
      const app = newApp();
      const dropIn = requireSubscription({ ...optionsFor(emulator), push: { token: PUSH_TOKEN } });
      closing.push(() => dropIn.wechat.close());
      app.use(dropIn);
      const agent = await serve(app);
      const { path, body } = push();
      expect((await agent.post(path).type('text/xml').send(body)).text).to.equal('success');
      expect((await dropIn.wechat.subscriptions.status(band())).subscribed).to.equal(false);
      expect((await agent.get('/other').set('Accept', 'text/html')).status, 'other paths are gated').to.equal(302);
    });

    it('by a gate mounted with app.use, without routes()', async () => {
      const app = newApp();
      const wechat = wechatWith({ token: PUSH_TOKEN });
      app.use(wechat.requireSubscription());
      const agent = await serve(app);
      const { path, body } = push();
      expect((await agent.post(path).type('text/xml').send(body)).text).to.equal('success');
    });

    it('in a koa-mount sub-app, at the path the browser sees (with the prefix)', async () => {
      const sub = new Koa();
      const wechat = wechatWith({ token: PUSH_TOKEN, path: '/sub/wechat/events' });
      sub.use(wechat.routes());
      sub.use((ctx) => (ctx.body = 'the sub-app'));
      const app = newApp();
      app.use(mount('/sub', sub));
      const agent = await serve(app);
      const { path, body } = push('/sub/wechat/events');
      expect((await agent.post(path).type('text/xml').send(body)).text).to.equal('success');
      expect((await wechat.subscriptions.status(band())).subscribed).to.equal(false);
    });

    it('a body parser before it that kept no raw body: a WeChatSetupError naming the order; one that kept rawBody works', async () => {
      for (const keepRaw of [false, true]) {
        const app = newApp();
        const errors: unknown[] = [];
        app.on('error', (error) => errors.push(error));
        app.use(async (ctx, next) => {
          const chunks: Buffer[] = [];
          for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
          if (keepRaw) (ctx.request as { rawBody?: string }).rawBody = Buffer.concat(chunks).toString('utf8');
          await next();
        });
        const wechat = wechatWith({ token: PUSH_TOKEN });
        app.use(wechat.routes());
        const agent = await serve(app);
        const { path, body } = push();
        const answer = await agent.post(path).type('text/xml').send(body);
        if (keepRaw) {
          expect(answer.text).to.equal('success');
        } else {
          expect(answer.status).to.equal(500);
          expect((errors[0] as Error).name).to.equal('WeChatSetupError');
          expect((errors[0] as Error).message).to.match(/Mount wechat.routes\(\) \(or the gate\) before the body parser/);
        }
      }
    });
  });
});
