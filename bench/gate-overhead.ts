/**
 * The cost of `requireSubscription()` for a visitor who already has a session and a cached status: the same
 * Koa app with and without the gate, side by side over real HTTP (keep-alive), with the same signed cookie.
 *
 * Run: npx tsx bench/gate-overhead.ts   (BENCH_ROUNDS=5, BENCH_REQUESTS=4000 and BENCH_CONCURRENCY=8 by default)
 */
import { Agent, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import Koa from 'koa';
import session from 'koa-session';
import { createWeChat, type WeChat } from '../lib/index.js';
import { startEmulator } from '../lib/emulator/index.js';
import { median, print, printTable } from './table.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 4000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const KEYS = ['bench key, long and random enough for koa-session'];

function site(wechat: WeChat | undefined, readSession = false): Koa {
  const app = new Koa();
  app.keys = KEYS;
  app.use(session(app));
  if (readSession) {
    app.use(async (ctx, next) => {
      if ((ctx.session as Record<string, unknown> | null)?.wechat === undefined) throw new Error('no session');
      await next();
    });
  }
  if (wechat !== undefined) {
    app.use(wechat.routes());
    app.use(wechat.requireSubscription());
  }
  app.use((ctx) => {
    ctx.body = { openid: ctx.state.openid ?? null, isConcern: ctx.state.isConcern ?? null };
  });
  return app;
}

async function listen(app: Koa): Promise<{ server: Server; port: number }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

interface Answer {
  status: number;
  location: string | undefined;
  cookies: string[];
  body: string;
}

function get(agent: Agent, port: number, path: string, cookie: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: '127.0.0.1', port, path, headers: { cookie, accept: 'text/html' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, location: res.headers.location, cookies: res.headers['set-cookie'] ?? [], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The session cookie of a follower who went through the dance once. */
async function signIn(agent: Agent, port: number, nickname: string): Promise<string> {
  const first = await get(agent, port, '/page', '');
  const jar = new Map(first.cookies.map(nameAndValue));
  const [base, fragment] = first.location!.split('#');
  const wechat = await fetch(`${base}&emulator_user=${nickname}#${fragment}`, { redirect: 'manual' });
  const callback = new URL(wechat.headers.get('location')!);
  const back = await get(agent, port, `${callback.pathname}${callback.search}`, [...jar].map(([name, value]) => `${name}=${value}`).join('; '));
  for (const [name, value] of back.cookies.map(nameAndValue)) jar.set(name, value);
  if (back.status !== 302) throw new Error(`sign-in failed: ${back.status}`);
  return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
}

/** `name=value; Path=/…` → [name, value]; the value may hold `=` (base64). */
function nameAndValue(setCookie: string): [string, string] {
  const pair = setCookie.split(';')[0]!;
  const at = pair.indexOf('=');
  return [pair.slice(0, at), pair.slice(at + 1)];
}

/** `REQUESTS` requests, `CONCURRENCY` at a time; requests per second. */
async function throughput(agent: Agent, port: number, cookie: string): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < REQUESTS) {
        const answer = await get(agent, port, '/page', cookie);
        if (answer.status !== 200) throw new Error(`expected 200, got ${answer.status}`);
      }
    }),
  );
  return REQUESTS / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const emulator = await startEmulator({ users: [{ nickname: 'regular', subscribed: true }] });
  const wechat = createWeChat({ appId: emulator.appId, appSecret: emulator.appSecret, apiBaseUrl: emulator.url, oauthBaseUrl: emulator.url });
  const apps = {
    untouched: await listen(site(undefined)),
    read: await listen(site(undefined, true)),
    gated: await listen(site(wechat)),
  };
  const names = Object.keys(apps) as (keyof typeof apps)[];
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    const cookie = await signIn(agent, apps.gated.port, 'regular');
    const check = JSON.parse((await get(agent, apps.gated.port, '/page', cookie)).body) as { isConcern: boolean };
    if (check.isConcern !== true) throw new Error('the benchmark visitor should follow the account');

    print(`Gate overhead: ${REQUESTS} GET /page per round, ${CONCURRENCY} at a time, ${ROUNDS} rounds (+1 warm-up), Node ${process.version}`);
    for (const name of names) await throughput(agent, apps[name].port, cookie);
    emulator.resetCounters();
    const rates = { untouched: [] as number[], read: [] as number[], gated: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      // A different order each round, so that no app always runs on a warmer or a busier machine.
      const order = round % 2 === 0 ? names : [...names].reverse();
      for (const name of order) rates[name].push(await throughput(agent, apps[name].port, cookie));
    }
    const rate = { untouched: median(rates.untouched), read: median(rates.read), gated: median(rates.gated) };
    const extraMicroseconds = (1 / rate.gated - 1 / rate.read) * 1e6;
    printTable(
      ['app (the same signed session cookie)', 'requests/s (median)', 'vs session read'],
      [
        ['koa-session, session never read', rate.untouched.toFixed(0), `${(rate.untouched / rate.read).toFixed(2)}×`],
        ['koa-session, handler reads ctx.session', rate.read.toFixed(0), '1.00×'],
        ['+ routes() + requireSubscription()', rate.gated.toFixed(0), `${(rate.gated / rate.read).toFixed(2)}×`],
      ],
    );
    print(
      `Extra time per request (client and server share this process): about ${extraMicroseconds.toFixed(0)} µs. WeChat calls during the measured rounds: ${Object.values(emulator.counters()).reduce((a, b) => a + b, 0)}.`,
    );
  } finally {
    agent.destroy();
    for (const name of names) apps[name].server.close();
    await wechat.close();
    await emulator.close();
  }
}

await main();
