/**
 * The demo as a newcomer starts it, in child processes from the repository root: `node --import tsx
 * demo/server.ts` and `npm start` with PORT=0 and no WECHAT_* variables print where the site and the emulator
 * are, serve, send /page to the emulator and stop on a signal; a configuration mistake or a taken port is one
 * line on stderr and exit code 1, never a stack.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ENVIRONMENT_NAMES } from '../demo/config.js';
import { eventually } from './support/eventually.js';
import { childEnvironment } from './support/child-env.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Starting a child costs about a second (tsx compiles on the fly); a loaded machine may take longer. */
const STARTUP_MS = 20_000;

interface DemoProcess {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The environment of the test run without any of the demo's variables, then `env`. */
function environment(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!(ENVIRONMENT_NAMES as readonly string[]).includes(name) && !name.startsWith('WECHAT_')) clean[name] = value;
  }
  return { ...clean, ...env };
}

describe('demo: started as a newcomer starts it', function () {
  this.timeout(STARTUP_MS + 10_000);
  const started: DemoProcess[] = [];
  const held: Server[] = [];

  /** Starts `command` in its own process group (so that afterEach can end everything it started). */
  function run(command: string, args: string[], env: Record<string, string>): DemoProcess {
    const child = spawn(command, args, { cwd: ROOT, env: childEnvironment(environment(env)), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('close', (code, signal) => resolve({ code, signal })),
    );
    const demo = { child, stdout: () => stdout, stderr: () => stderr, exited };
    started.push(demo);
    return demo;
  }

  const node = (env: Record<string, string>) => run(process.execPath, ['--import', 'tsx', 'demo/server.ts'], env);

  /** Waits for the start-up lines; answers the site's and the emulator's URLs. */
  async function urlsOf(demo: DemoProcess): Promise<{ site: string; emulator: string }> {
    await eventually(() => /WeChat emulator on /.test(demo.stdout()) || demo.child.exitCode !== null, 'the demo printed its URLs', STARTUP_MS);
    const site = /^Demo site on (http:\/\/localhost:\d+)$/m.exec(demo.stdout())?.[1];
    const emulator = /^ {2}WeChat emulator on (http:\/\/127\.0\.0\.1:\d+) \(console http:\/\/127\.0\.0\.1:\d+\/emulator\)$/m.exec(demo.stdout())?.[1];
    expect(site, `stdout: ${demo.stdout()}\nstderr: ${demo.stderr()}`).to.be.a('string');
    expect(emulator, demo.stdout()).to.be.a('string');
    return { site: site!, emulator: emulator! };
  }

  /** The newcomer's first two requests: the home page, and /page sent to the emulator's authorize page. */
  async function expectServes(demo: DemoProcess, urls: { site: string; emulator: string }): Promise<void> {
    expect((await fetch(`${urls.site}/`)).status).to.equal(200);
    const page = await fetch(`${urls.site}/page`, { headers: { Accept: 'text/html' }, redirect: 'manual' });
    expect(page.status).to.equal(302);
    expect(page.headers.get('location')!.startsWith(`${urls.emulator}/connect/oauth2/authorize?`)).to.equal(true);
    // Each request is one line on stdout.
    await eventually(() => /^GET \/page 302 \d+\.\dms$/m.test(demo.stdout()), 'the request lines were printed', STARTUP_MS);
    expect(demo.stdout()).to.match(/^GET \/ 200 \d+\.\dms$/m);
  }

  /** Whether anything still answers at `url`. */
  async function answers(url: string): Promise<boolean> {
    return fetch(url).then(
      () => true,
      () => false,
    );
  }

  /** The start failed: exit code 1, one line on stderr that starts with "demo: ", no stack, nothing on stdout. */
  async function expectOneLineFailure(demo: DemoProcess, pattern: RegExp): Promise<void> {
    const { code } = await demo.exited;
    const stderr = demo.stderr();
    expect(code, stderr).to.equal(1);
    expect(stderr).not.to.contain('    at ');
    expect(stderr.endsWith('\n')).to.equal(true);
    const lines = stderr.slice(0, -1).split('\n');
    expect(lines, stderr).to.have.length(1);
    expect(lines[0]).to.match(/^demo: /);
    expect(lines[0]).to.match(pattern);
    expect(demo.stdout()).to.equal('');
  }

  /** A port taken by someone else, on the interface the demo (or its emulator) listens on. */
  async function takenPort(host?: string): Promise<number> {
    const server = createServer();
    held.push(server);
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    return (server.address() as AddressInfo).port;
  }

  afterEach(async () => {
    for (const { child, exited } of started.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        // The whole group: npm's shell and tsx's node too.
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      await exited;
    }
    for (const server of held.splice(0)) await new Promise((resolve) => server.close(resolve));
  });

  it('node --import tsx demo/server.ts with PORT=0: prints the URLs, serves, sends /page to the emulator, and SIGTERM ends it with code 0', async () => {
    const demo = node({ PORT: '0' });
    const urls = await urlsOf(demo);
    expect(demo.stdout().split('\n')[0]).to.equal(`Demo site on ${urls.site}`);
    expect(demo.stdout()).to.contain('Band (follows), Reader (follows), Visitor (does not follow)');
    await expectServes(demo, urls);
    // The only thing on stderr: the warning that the session keys were made up for this run.
    expect(demo.stderr()).to.match(/^demo: SESSION_KEYS is not set: [^\n]*\n$/);
    demo.child.kill('SIGTERM');
    expect(await demo.exited).to.deep.equal({ code: 0, signal: null });
    expect(await answers(urls.site), 'the site still answers').to.equal(false);
    expect(await answers(`${urls.emulator}/emulator`), 'the emulator still answers').to.equal(false);
  });

  it('npm start with PORT=0: the same, and Ctrl-C (SIGINT to the group) ends it all', async () => {
    const demo = run('npm', ['start'], { PORT: '0' });
    const urls = await urlsOf(demo);
    await expectServes(demo, urls);
    expect(demo.stderr()).not.to.contain('    at ');
    process.kill(-demo.child.pid!, 'SIGINT');
    await demo.exited;
    // Nothing left behind: npm's child (tsx, then node) ended too.
    expect(await answers(urls.site), 'the site still answers').to.equal(false);
    expect(await answers(`${urls.emulator}/emulator`), 'the emulator still answers').to.equal(false);
  });

  describe('a configuration mistake is one line on stderr and exit code 1', () => {
    const mistakes: Array<[label: string, env: Record<string, string>, pattern: RegExp]> = [
      ['PORT=abc', { PORT: 'abc' }, /^demo: PORT must be a port number from 0 to 65535, got "abc"$/],
      ['NODE_ENV=production without SESSION_KEYS', { NODE_ENV: 'production', PORT: '0' }, /^demo: SESSION_KEYS is required in production: /],
      [
        'WECHAT_APP_ID without WECHAT_APP_SECRET',
        { WECHAT_APP_ID: 'wxb11529c136998cb6', PORT: '0' },
        /^demo: WECHAT_APP_SECRET is required when WECHAT_APP_ID is set/,
      ],
      // readConfig takes any whole number; createWeChat refuses more than a day, when the demo starts.
      ['WECHAT_STATUS_TTL=999999', { WECHAT_STATUS_TTL: '999999', PORT: '0' }, /^demo: WECHAT_STATUS_TTL: .*statusTtl.*86400/],
    ];
    for (const [label, env, pattern] of mistakes) {
      it(label, async () => {
        await expectOneLineFailure(node(env), pattern);
      });
    }

    it('a PORT in use', async () => {
      const port = await takenPort();
      await expectOneLineFailure(
        node({ PORT: String(port), EMULATOR_PORT: '0' }),
        new RegExp(`^demo: port ${port} is in use: set PORT to another one$`),
      );
    });

    it('an EMULATOR_PORT in use', async () => {
      const port = await takenPort('127.0.0.1');
      await expectOneLineFailure(
        node({ PORT: '0', EMULATOR_PORT: String(port) }),
        new RegExp(`^demo: port ${port} is in use: set EMULATOR_PORT to another one$`),
      );
    });
  });
});
