import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { DEFAULT_EMULATOR_APP_ID, DEFAULT_EMULATOR_APP_SECRET } from '../lib/emulator/index.js';
import { WeChatClient } from '../lib/index.js';

interface Run {
  child: ChildProcess;
  /** Resolves with what was printed once the URL line appears, or rejects when the process exits first. */
  started: Promise<string>;
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Runs the emulator's command with this environment; `npm` runs `npm run emulator` itself. */
function run(env: Record<string, string>, via: 'node' | 'npm' = 'node'): Run {
  const [command, args] = via === 'npm' ? ['npm', ['run', '--silent', 'emulator']] : [process.execPath, ['--import', 'tsx', 'lib/emulator/cli.ts']];
  const child = spawn(command, args, {
    // No coverage from children: c8 would merge a process that loaded files without running them.
    env: { ...process.env, NODE_V8_COVERAGE: '', WECHAT_APP_ID: '', WECHAT_APP_SECRET: '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so that killing the group also ends what npm started (sh, tsx, node).
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
  const started = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      if (/Point a client at it/.test(stdout)) resolve(stdout);
    });
    void exited.then(({ code }) => reject(new Error(`exited with ${code}: ${stderr}`)));
  });
  return { child, started, exited };
}

/** Ends the command and everything it started; a child already gone is fine. */
function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // Already exited.
  }
}

const urlOf = (printed: string): string => /listening on (http:\/\/\S+)/.exec(printed)![1]!;

describe('emulator: npm run emulator', function () {
  // Starting Node with tsx, or npm, takes a moment on a loaded machine.
  this.timeout(30_000);
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) killGroup(child);
  });

  it('starts with the printed defaults, and a client can use them', async () => {
    const emulator = run({}, 'npm');
    children.push(emulator.child);
    const printed = await emulator.started;
    expect(printed).to.contain(DEFAULT_EMULATOR_APP_ID).and.contain(DEFAULT_EMULATOR_APP_SECRET).and.contain('/emulator');
    const url = urlOf(printed);
    const client = new WeChatClient({ appId: DEFAULT_EMULATOR_APP_ID, appSecret: DEFAULT_EMULATOR_APP_SECRET, apiBaseUrl: url });
    try {
      expect((await client.fetchStableToken()).expires_in).to.equal(7200);
    } finally {
      client.close();
    }
  });

  it('takes PORT, WECHAT_APP_ID and WECHAT_APP_SECRET, and never prints a secret it was given', async () => {
    const appId = 'wx5555555555555555';
    const appSecret = 'a-secret-from-the-environment-0001';
    const emulator = run({ WECHAT_APP_ID: appId, WECHAT_APP_SECRET: appSecret });
    children.push(emulator.child);
    const printed = await emulator.started;
    expect(printed).to.contain(appId).and.contain('(from WECHAT_APP_SECRET)').and.not.contain(appSecret);
    const response = await fetch(`${urlOf(printed)}/cgi-bin/token?grant_type=client_credential&appid=${appId}&secret=${appSecret}`);
    expect(await response.json()).to.have.property('access_token');
    emulator.child.kill('SIGTERM');
    expect((await emulator.exited).code).to.equal(0);
  });

  const badConfigurations: Array<[string, Record<string, string>, RegExp]> = [
    ['a PORT that is not a number', { PORT: 'abc' }, /PORT must be a port number/],
    ['a malformed WECHAT_APP_ID', { WECHAT_APP_ID: 'not-an-app-id' }, /WECHAT_APP_ID \(appId\) must be wx and 16 hex digits/],
    ['a push URL without a token', { WECHAT_PUSH_URL: 'http://127.0.0.1:3000/wechat/events' }, /WECHAT_TOKEN/],
    [
      'a bad WECHAT_AES_KEY',
      { WECHAT_PUSH_URL: 'http://127.0.0.1:3000/wechat/events', WECHAT_TOKEN: 'abc123', WECHAT_AES_KEY: 'short-key-value' },
      /WECHAT_AES_KEY/,
    ],
  ];
  for (const [title, env, message] of badConfigurations) {
    it(`exits with 1 and one clear line for ${title}`, async () => {
      const emulator = run(env);
      children.push(emulator.child);
      const { code, stderr } = await emulator.exited;
      expect(code).to.equal(1);
      expect(stderr.trim().split('\n')).to.have.length(1);
      expect(stderr)
        .to.match(message)
        .and.not.match(/\n\s+at /);
      if (env.WECHAT_AES_KEY !== undefined) expect(stderr).to.not.contain(env.WECHAT_AES_KEY);
    });
  }
});
