/**
 * The newcomer's path, end to end: a git install of this repository's HEAD into an empty project (npm runs
 * `prepare`, which builds dist/), then the README's example copied verbatim into `server.js`, started against
 * an emulator as the README says, signs a follower in. Packages come from npm's cache when the repository's
 * own install put them there; only the registry is reached otherwise. It tests HEAD: commit before running it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { startEmulator, type Emulator } from '../lib/emulator/index.js';
import { childEnvironment } from './support/child-env.js';
import { eventually } from './support/eventually.js';
import { Visitor } from './support/site.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
/** The port the README's example listens on. */
const EXAMPLE_URL = 'http://localhost:3000';

/** The README's first ```js block: the example, as a reader copies it. */
function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const example = /^```js\n([\s\S]*?)^```$/m.exec(readme)?.[1];
  if (example === undefined) throw new Error('the README has no ```js example');
  return example;
}

describe('package: a git install, then the README example, signs a follower in', function () {
  // The git install runs npm install in a clone (devDependencies included, for the build) and tsc.
  this.timeout(300_000);
  let project: string;
  let emulator: Emulator;
  let site: ChildProcess | undefined;
  let output = '';

  before(async () => {
    project = mkdtempSync(join(tmpdir(), 'kws-install-'));
    emulator = await startEmulator({ seed: 'git install' });
  });

  after(async () => {
    if (site !== undefined && site.exitCode === null && site.signalCode === null) site.kill('SIGKILL');
    await emulator.close();
    rmSync(project, { recursive: true, force: true });
  });

  it('npm install koa koa-session git+file://<repository>#HEAD, then node server.js', async () => {
    const env = childEnvironment(Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(WECHAT_|SESSION_KEYS|npm_)/.test(name))));
    const { stdout: head } = await run('git', ['rev-parse', 'HEAD'], { cwd: ROOT });
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'newcomer', private: true, type: 'module' }));
    const koa = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies;
    await run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        `koa@${koa.koa}`,
        `koa-session@${koa['koa-session']}`,
        `git+file://${ROOT}#${head.trim()}`,
      ],
      { cwd: project, env, maxBuffer: 16 * 1024 * 1024 },
    );
    const installed = join(project, 'node_modules', 'koa-wechat-subscription');
    expect(readFileSync(join(installed, 'dist', 'index.js'), 'utf8')).to.include('requireSubscription');

    writeFileSync(join(project, 'server.js'), readmeExample());
    site = spawn(process.execPath, ['server.js'], {
      cwd: project,
      env: {
        ...env,
        SESSION_KEYS: 'a key for the newcomer, long and random enough',
        WECHAT_APP_ID: emulator.appId,
        WECHAT_APP_SECRET: emulator.appSecret,
        WECHAT_API_BASE: emulator.url,
        WECHAT_OAUTH_BASE: emulator.url,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    site.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    site.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // The example prints nothing: it is up once port 3000 answers.
    let up = false;
    const poll = setInterval(
      () =>
        void fetch(EXAMPLE_URL, { redirect: 'manual' }).then(
          () => (up = true),
          () => undefined,
        ),
      100,
    );
    try {
      await eventually(() => up || site!.exitCode !== null, 'the example answers on port 3000', 20_000);
    } finally {
      clearInterval(poll);
    }
    expect(site.exitCode, output).to.equal(null);

    const { page } = await new Visitor(EXAMPLE_URL as unknown as Server, EXAMPLE_URL).signIn('/', { nickname: 'Band' });
    expect(page.status, page.text).to.equal(200);
    expect(page.text).to.equal(`Welcome back, ${emulator.findUser('Band')!.openid}`);
  });
});
