/**
 * The demo in production, as its deploy steps say: `npm run build:demo` into a fresh directory, `npm ci
 * --omit=dev` there (no tsx, no TypeScript, no test tools), then `NODE_ENV=production npm start` with the
 * variables production requires, pointed at an emulator as at a real account. It serves, and a follower signs
 * in. The packages come from npm's cache when the repository's own install put them there.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { Server } from 'node:http';
import { startEmulator, type Emulator } from '../lib/emulator/index.js';
import { childEnvironment } from './support/child-env.js';
import { eventually } from './support/eventually.js';
import { Visitor } from './support/site.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

/** A port nobody listens on just now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The environment of the test run without the demo's own variables (a developer's WECHAT_* must not leak in). */
function cleanEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(WECHAT_|SESSION_KEYS|PUBLIC_URL|PORT|EMULATOR_PORT|REDIS_URL|NODE_ENV|npm_)/.test(name)),
  );
}

describe('demo: NODE_ENV=production npm start on production dependencies only', function () {
  // A build (tsc, emit only) and an install of about 160 packages, from npm's cache on a warm machine.
  this.timeout(240_000);
  let directory: string;
  let emulator: Emulator;
  let demo: ChildProcess | undefined;
  let output = '';

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'kws-demo-'));
    emulator = await startEmulator({ seed: 'demo in production' });
  });

  after(async () => {
    if (demo?.pid !== undefined && demo.exitCode === null && demo.signalCode === null) process.kill(-demo.pid, 'SIGKILL');
    await emulator.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it("demo/package.json pins each of the demo's packages at the version the repository is tested with", () => {
    const read = (path: string) =>
      JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as { dependencies: Record<string, string>; devDependencies?: Record<string, string> };
    const root = read('package.json');
    const tested = { ...root.dependencies, ...root.devDependencies };
    const { dependencies } = read('demo/package.json');
    expect(Object.entries(dependencies).filter(([name, version]) => tested[name] !== version)).to.deep.equal([]);
    // The library's own dependencies ride along, since the demo's build carries the library compiled.
    for (const name of Object.keys(root.dependencies)) expect(dependencies, name).to.have.property(name);
  });

  it('builds, installs without devDependencies, starts, serves and signs a follower in; Ctrl-C ends it all', async () => {
    const env = childEnvironment(cleanEnvironment());
    await run(process.execPath, ['--import', 'tsx', 'demo/build.ts', directory], { cwd: ROOT, env });
    await run('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: directory,
      env: { ...env, NODE_ENV: 'production' },
    });
    for (const devOnly of ['tsx', 'typescript', 'mocha', 'koa2'])
      expect(existsSync(join(directory, 'node_modules', devOnly)), devOnly).to.equal(false);

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    demo = spawn('npm', ['start'], {
      cwd: directory,
      env: {
        ...env,
        NODE_ENV: 'production',
        PORT: String(port),
        PUBLIC_URL: url,
        SESSION_KEYS: 'a production key of the test, long and random enough',
        WECHAT_APP_ID: emulator.appId,
        WECHAT_APP_SECRET: emulator.appSecret,
        WECHAT_API_BASE: emulator.url,
        WECHAT_OAUTH_BASE: emulator.url,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so that the end reaches npm's children too, as Ctrl-C does.
      detached: true,
    });
    demo.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    demo.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(() => output.includes(`Demo site on ${url}`) || demo!.exitCode !== null, 'the demo printed its URL', 20_000);
    expect(output, output).to.include(`Demo site on ${url}`);

    const visitor = new Visitor(url as unknown as Server, url);
    const { page } = await visitor.signIn('/page', { nickname: 'Band' });
    expect(page.status, page.text.slice(0, 300)).to.equal(200);
    expect(page.text).to.include(emulator.findUser('Band')!.openid).and.include('已关注');

    const exited = new Promise<void>((resolve) => demo!.once('close', () => resolve()));
    process.kill(-demo.pid!, 'SIGINT');
    await exited;
    expect(
      await fetch(url).then(
        () => 'still answers',
        () => 'gone',
      ),
    ).to.equal('gone');
    expect(output).not.to.contain('    at ');
  });
});
