/**
 * The push endpoint under fuzz: many thousands of random and mutated bodies and query strings, in plaintext and
 * safe modes, first straight into the receiver, then over HTTP into a real site. No crash, no 500, no answer
 * outside the documented ones, no state change for the users the inputs were not about, and flat memory.
 * The generator is seeded: a failure prints the seed and the input number, and reproduces.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect } from 'chai';
import supertest from 'supertest';
import type { WeChatPush } from '../lib/index.js';
import { PushReceiver, type PushMode } from '../lib/push/index.js';
import { AES_KEY, eventXml, PUSH_TOKEN, signedPush } from './support/push-client.js';
import { useSite } from './support/site.js';

const APP_ID = 'wxb11529c136998cb6';
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const TARGET = 'oFuzzTarget0000000000000000';

/** mulberry32: small, fast and seeded. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  '<',
  '>',
  '</',
  '/>',
  '<xml>',
  '</xml>',
  '<![CDATA[',
  ']]>',
  '<!DOCTYPE x [<!ENTITY a "b">]>',
  '&amp;',
  '&#0;',
  '&#x110000;',
  '&lol;',
  '<?xml version="1.0"?>',
  '<!--',
  '-->',
  '<__proto__>',
  '</__proto__>',
  '<Encrypt>',
  '</Encrypt>',
  '\u0000',
  '\uFEFF',
  '\uD800',
  '="x"',
  '<FromUserName>',
  '<Event>subscribe</Event>',
  'qrscene_',
  '0012',
  '%',
  '\r\n',
];

/** One mutation of `text`: a flipped character, an inserted piece, a cut, a duplicated or dropped slice. */
function mutate(text: string, next: () => number): string {
  const at = Math.floor(next() * (text.length + 1));
  const pick = next();
  if (pick < 0.2) return text.slice(0, at) + String.fromCharCode(Math.floor(next() * 0x3000)) + text.slice(at + 1);
  if (pick < 0.45) return text.slice(0, at) + PIECES[Math.floor(next() * PIECES.length)]! + text.slice(at);
  if (pick < 0.6) return text.slice(0, at);
  if (pick < 0.8) {
    const end = at + Math.floor(next() * 40);
    return text.slice(0, end) + text.slice(at, end) + text.slice(end);
  }
  return text.slice(0, at) + text.slice(at + 1 + Math.floor(next() * 20));
}

function randomText(next: () => number): string {
  const length = Math.floor(next() * 200);
  let out = '';
  for (let i = 0; i < length; i++) out += next() < 0.3 ? PIECES[Math.floor(next() * PIECES.length)]! : String.fromCharCode(Math.floor(next() * 128));
  return out;
}

function queryOf(signed: string, next: () => number): Record<string, unknown> {
  const query: Record<string, unknown> = Object.fromEntries(new URLSearchParams(signed));
  const roll = next();
  if (roll < 0.5) return query;
  const names = ['signature', 'timestamp', 'nonce', 'msg_signature', 'encrypt_type', 'echostr', '__proto__'];
  const name = names[Math.floor(next() * names.length)]!;
  if (roll < 0.7) delete query[name];
  else if (roll < 0.85) query[name] = mutate(typeof query[name] === 'string' ? query[name] : '', next);
  else query[name] = [typeof query[name] === 'string' ? query[name] : '', 'x'];
  return query;
}

describe('push endpoint: fuzz', function () {
  // Thousands of inputs; a slow shared machine must not fail it.
  this.timeout(120_000);

  for (const mode of ['plaintext', 'safe'] as PushMode[]) {
    it(`${mode}: 25,000 inputs straight into the receiver: each is refused with a documented status or reads as a push, and none throws`, () => {
      const next = random(SEED);
      const receiver = new PushReceiver({ token: PUSH_TOKEN, mode, encodingAESKey: AES_KEY, appId: APP_ID, timestampWindow: 300 });
      const now = Math.floor(Date.now() / 1000);
      const statuses = new Map<string, number>();
      for (let n = 0; n < 25_000; n++) {
        const genuine = signedPush({ mode, appId: APP_ID, xml: eventXml(TARGET, 'unsubscribe'), nonce: String(n) });
        let body = genuine.body;
        for (let times = 1 + Math.floor(next() * 3); times > 0; times--) body = mutate(body, next);
        if (next() < 0.1) body = randomText(next);
        let outcome: string;
        try {
          const opened = receiver.open(queryOf(genuine.query, next), body, now);
          outcome = opened.ok ? 'push' : String(opened.status);
          // What reads as a push is the genuine one, or a plaintext body the signature (query only) cannot cover.
          if (opened.ok && mode === 'safe') expect(opened.push.openid, `input ${n} (seed ${SEED})`).to.equal(TARGET);
        } catch (error) {
          throw new Error(`input ${n} (seed ${SEED}) threw ${(error as Error).name}: ${(error as Error).message}`, { cause: error });
        }
        statuses.set(outcome, (statuses.get(outcome) ?? 0) + 1);
      }
      expect(
        [...statuses.keys()].every((key) => ['push', '400', '401', '403'].includes(key)),
        JSON.stringify([...statuses]),
      ).to.equal(true);
      // Every kind of answer was reached: the fuzz is not stuck on one door.
      expect([...statuses.keys()].sort()).to.include.members(['400', '401', 'push']);
    });
  }

  describe('over HTTP', () => {
    const site = useSite();

    for (const mode of ['plaintext', 'safe'] as PushMode[]) {
      it(`${mode}: 4,000 requests: never a 500, Band never touched, and the heap flat`, async () => {
        const seen: WeChatPush[] = [];
        const started = await site.start({
          emulator: { appId: APP_ID },
          wechat: { push: { token: PUSH_TOKEN, mode, encodingAESKey: AES_KEY, onEvent: (push) => void seen.push(push) }, logger: { warn: () => {} } },
        });
        const band = started.emulator.findUser('Band')!.openid;
        expect((await started.wechat.subscriptions.status(band)).subscribed).to.equal(true);
        const agent = supertest.agent(started.server);
        const next = random(SEED + 1);
        setFlagsFromString('--expose-gc');
        const gc = runInNewContext('gc') as () => void;
        const heap: number[] = [];
        const statuses = new Map<number, number>();
        for (let n = 0; n < 4000; n++) {
          const genuine = signedPush({
            mode,
            appId: APP_ID,
            xml: eventXml(TARGET, next() < 0.5 ? 'unsubscribe' : 'subscribe', {}, 1_700_000_000 + n),
            nonce: String(n),
          });
          let body = genuine.body;
          if (next() < 0.9) for (let times = 1 + Math.floor(next() * 3); times > 0; times--) body = mutate(body, next);
          const query = new URLSearchParams(
            Object.entries(queryOf(genuine.query, next)).flatMap(([name, value]) =>
              Array.isArray(value) ? value.map((each): [string, string] => [name, String(each)]) : [[name, String(value)] as [string, string]],
            ),
          );
          const method = next() < 0.9 ? 'post' : 'get';
          const answer = await agent[method](`/wechat/events?${query.toString()}`).type('text/xml').send(body);
          expect(answer.status, `input ${n} (seed ${SEED + 1}): ${answer.text.slice(0, 100)}`).to.be.oneOf([200, 400, 401, 403]);
          expect(answer.text).not.to.include('    at ');
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          if (n === 500 || n === 3999) {
            gc();
            heap.push(process.memoryUsage().heapUsed);
          }
        }
        expect(started.errors, 'nothing reached app.on("error")').to.deep.equal([]);
        expect((await started.wechat.subscriptions.status(band)).subscribed, 'Band was never the subject of an input').to.equal(true);
        expect(seen.every((push) => push.openid === TARGET || mode === 'plaintext')).to.equal(true);
        expect(
          seen.some((push) => push.openid === band),
          'no input was about Band',
        ).to.equal(false);
        // 3,500 requests after the first measure: retained growth well under a kilobyte a request.
        expect(
          heap[1]! - heap[0]!,
          `heap ${heap.map((bytes) => (bytes / 1e6).toFixed(1)).join(' → ')} MB; statuses ${JSON.stringify([...statuses])}`,
        ).to.be.below(4_000_000);
        process.stderr.write(
          `      fuzz ${mode}: statuses ${JSON.stringify([...statuses])}, heap ${heap.map((bytes) => (bytes / 1e6).toFixed(1)).join(' → ')} MB\n`,
        );
      });
    }
  });
});
