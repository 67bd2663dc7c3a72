/**
 * The demo's configuration (demo/config.ts), read from a plain object: the defaults of a first `npm start`,
 * every variable it names, what production insists on, and one-line errors that name the variable and never
 * repeat the AppSecret.
 */
import { expect } from 'chai';
import { ConfigError, ENVIRONMENT_NAMES, readConfig } from '../demo/config.js';
import { startDemo } from '../demo/start.js';
import type { DemoEnv } from './support/demo.js';
import { rejectionOf } from './support/fixtures.js';

const APP_ID = 'wxb11529c136998cb6';
const APP_SECRET = '3f9c2b7e81d04a6c95e2f0b1a7d8c4e6';
const ACCOUNT = { WECHAT_APP_ID: APP_ID, WECHAT_APP_SECRET: APP_SECRET };
const KEY_A = '0123456789abcdef0123456789abcdef';
const KEY_B = 'fedcba9876543210fedcba9876543210';

/** The ConfigError that `env` gives; fails when readConfig accepts it or throws anything else. */
function configErrorOf(env: DemoEnv): ConfigError {
  let config: unknown;
  try {
    config = readConfig(env);
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected a ConfigError, but readConfig accepted ${JSON.stringify(env)}: ${JSON.stringify(config)}`);
}

/** One line, that names `variable`, with the AppSecret nowhere in it. */
function expectOneLine(error: ConfigError, variable: string): void {
  expect(error.name).to.equal('ConfigError');
  expect(error.message).not.to.match(/[\r\n]/);
  expect(error.message).to.contain(variable);
  expect(error.message).not.to.contain(APP_SECRET);
}

describe('demo config: the defaults of a first npm start', () => {
  it('serves on 3000 with the emulator on 3001, snsapi_base, and session keys made up for this run', () => {
    const config = readConfig({});
    expect(config).to.include({
      production: false,
      port: 3000,
      publicUrl: undefined,
      statusTtl: undefined,
      scope: 'snsapi_base',
      accountName: undefined,
      qrCodeUrl: undefined,
      sessionKeysGenerated: true,
    });
    expect(config.wechat).to.deep.equal({ kind: 'emulator', port: 3001 });
    expect(config.sessionKeys).to.have.length(1);
    expect(config.sessionKeys[0]).to.match(/^[0-9a-f]{64}$/);
    // Made up afresh each time: not a key baked into the code.
    expect(readConfig({}).sessionKeys[0]).not.to.equal(config.sessionKeys[0]);
    expect(Object.isFrozen(config)).to.equal(true);
  });

  it('puts the emulator on the next port, or on a free one too with PORT=0', () => {
    expect(readConfig({ PORT: '8080' }).wechat).to.deep.equal({ kind: 'emulator', port: 8081 });
    expect(readConfig({ PORT: '0' }).wechat).to.deep.equal({ kind: 'emulator', port: 0 });
    expect(readConfig({ PORT: '0' }).port).to.equal(0);
    expect(readConfig({ PORT: '8080', EMULATOR_PORT: '4000' }).wechat).to.deep.equal({ kind: 'emulator', port: 4000 });
  });

  it('treats blank variables as unset', () => {
    const config = readConfig({ PORT: ' ', SESSION_KEYS: '', WECHAT_APP_ID: '  ', WECHAT_SCOPE: '', WECHAT_STATUS_TTL: ' ' });
    expect(config).to.include({ port: 3000, scope: 'snsapi_base', statusTtl: undefined, sessionKeysGenerated: true });
    expect(config.wechat.kind).to.equal('emulator');
  });

  it('reads only the object it is given, not process.env', () => {
    const saved = process.env.PORT;
    process.env.PORT = '4321';
    try {
      expect(readConfig({}).port).to.equal(3000);
    } finally {
      if (saved === undefined) delete process.env.PORT;
      else process.env.PORT = saved;
    }
  });
});

describe('demo config: every variable it names is read', () => {
  it('names exactly the variables of the README, and no other', () => {
    expect([...ENVIRONMENT_NAMES].sort()).to.deep.equal(
      [
        'NODE_ENV',
        'PORT',
        'PUBLIC_URL',
        'SESSION_KEYS',
        'WECHAT_APP_ID',
        'WECHAT_APP_SECRET',
        'WECHAT_API_BASE',
        'WECHAT_OAUTH_BASE',
        'WECHAT_STATUS_TTL',
        'WECHAT_SCOPE',
        'WECHAT_ACCOUNT_NAME',
        'WECHAT_QR_CODE_URL',
        'EMULATOR_PORT',
        'REDIS_URL',
        'WORKERS',
        'WECHAT_TOKEN',
        'WECHAT_AES_KEY',
        'WECHAT_PUSH_MODE',
      ].sort(),
    );
  });

  it('a real account: each of the variables lands in the configuration', () => {
    const config = readConfig({
      NODE_ENV: 'production',
      ...ACCOUNT,
      WECHAT_API_BASE: 'https://wx-proxy.example.com/api',
      WECHAT_OAUTH_BASE: 'https://open.example.com',
      PORT: '8080',
      PUBLIC_URL: 'https://wx.example.com/',
      SESSION_KEYS: ` ${KEY_A} , ${KEY_B}`,
      WECHAT_STATUS_TTL: '60',
      WECHAT_SCOPE: 'snsapi_userinfo',
      WECHAT_ACCOUNT_NAME: '示例公众号',
      WECHAT_QR_CODE_URL: 'https://wx.example.com/qr.png',
    });
    expect(config).to.deep.include({
      production: true,
      port: 8080,
      publicUrl: 'https://wx.example.com',
      sessionKeys: [KEY_A, KEY_B],
      sessionKeysGenerated: false,
      statusTtl: 60,
      scope: 'snsapi_userinfo',
      accountName: '示例公众号',
      qrCodeUrl: 'https://wx.example.com/qr.png',
    });
    expect(config.wechat).to.deep.equal({
      kind: 'real',
      appId: APP_ID,
      appSecret: APP_SECRET,
      apiBaseUrl: 'https://wx-proxy.example.com/api',
      oauthBaseUrl: 'https://open.example.com',
    });
  });

  it("a real account without base URLs leaves them to the library (WeChat's own)", () => {
    expect(readConfig(ACCOUNT).wechat).to.deep.equal({
      kind: 'real',
      appId: APP_ID,
      appSecret: APP_SECRET,
      apiBaseUrl: undefined,
      oauthBaseUrl: undefined,
    });
  });

  it('WECHAT_STATUS_TTL=0 turns the cache off rather than being taken as unset', () => {
    expect(readConfig({ WECHAT_STATUS_TTL: '0' }).statusTtl).to.equal(0);
  });
});

describe('demo config: production', () => {
  it('refuses to make up session keys, and says why', () => {
    const error = configErrorOf({ NODE_ENV: 'production', ...ACCOUNT });
    expectOneLine(error, 'SESSION_KEYS');
    expect(error.message).to.contain('production');
    expect(error.message).to.contain('restart');
  });

  it('refuses the embedded emulator: WECHAT_APP_ID is required', () => {
    const error = configErrorOf({ NODE_ENV: 'production', SESSION_KEYS: KEY_A });
    expectOneLine(error, 'WECHAT_APP_ID');
    expect(error.message).to.contain('emulator');
  });

  it('refuses to let the Host header decide the callback URL: PUBLIC_URL is required', () => {
    const error = configErrorOf({ NODE_ENV: 'production', SESSION_KEYS: KEY_A, ...ACCOUNT });
    expectOneLine(error, 'PUBLIC_URL');
    expect(error.message).to.contain('required in production');
  });

  it('runs with an account, session keys and its public URL', () => {
    const config = readConfig({ NODE_ENV: 'production', SESSION_KEYS: KEY_A, PUBLIC_URL: 'https://wx.example.com', ...ACCOUNT });
    expect(config).to.include({ production: true, sessionKeysGenerated: false });
    expect(config.sessionKeys).to.deep.equal([KEY_A]);
  });

  it('any other NODE_ENV is development', () => {
    expect(readConfig({ NODE_ENV: 'test' })).to.include({ production: false, sessionKeysGenerated: true });
  });
});

describe('demo config: a half-given account is refused, not taken as a hint', () => {
  for (const [given, value] of [
    ['WECHAT_APP_SECRET', APP_SECRET],
    ['WECHAT_API_BASE', 'https://wx-proxy.example.com'],
    ['WECHAT_OAUTH_BASE', 'https://open.example.com'],
  ] as const) {
    it(`${given} without WECHAT_APP_ID`, () => {
      const error = configErrorOf({ [given]: value });
      expectOneLine(error, given);
      expect(error.message).to.contain('WECHAT_APP_ID');
    });
  }

  it('WECHAT_APP_ID without WECHAT_APP_SECRET', () => {
    expectOneLine(configErrorOf({ WECHAT_APP_ID: APP_ID }), 'WECHAT_APP_SECRET');
  });
});

describe('demo config: a wrong value is one line that names the variable, without the AppSecret', () => {
  const cases: Array<[variable: string, value: string]> = [
    ['PORT', 'abc'],
    ['PORT', '-1'],
    ['PORT', '65536'],
    ['PORT', '80.5'],
    ['PORT', '1e3'],
    ['EMULATOR_PORT', 'next'],
    ['WECHAT_STATUS_TTL', '-5'],
    ['WECHAT_STATUS_TTL', '1.5'],
    ['WECHAT_STATUS_TTL', 'five minutes'],
    ['WECHAT_SCOPE', 'snsapi_login'],
    ['PUBLIC_URL', 'wx.example.com'],
    ['PUBLIC_URL', 'ftp://wx.example.com'],
    ['PUBLIC_URL', 'https://wx.example.com/app'],
    ['PUBLIC_URL', 'https://wx.example.com/?x=1'],
    ['WECHAT_API_BASE', 'not a url'],
    ['WECHAT_API_BASE', 'file:///etc/passwd'],
    ['WECHAT_OAUTH_BASE', 'javascript:alert(1)'],
    ['WECHAT_QR_CODE_URL', 'data:image/png;base64,AAAA'],
    ['SESSION_KEYS', 'short'],
    ['SESSION_KEYS', `${KEY_A},short`],
    ['SESSION_KEYS', `${KEY_A},`],
  ];
  for (const [variable, value] of cases) {
    it(`${variable}=${JSON.stringify(value)}`, () => {
      // EMULATOR_PORT only counts without an account; everything else is checked with the AppSecret present.
      const env = variable === 'EMULATOR_PORT' ? { [variable]: value } : { ...ACCOUNT, [variable]: value };
      expectOneLine(configErrorOf(env), variable);
    });
  }

  for (const variable of ['PORT', 'EMULATOR_PORT', 'WECHAT_STATUS_TTL', 'WECHAT_SCOPE']) {
    it(`the AppSecret pasted into ${variable} is refused without being repeated`, () => {
      expectOneLine(configErrorOf({ [variable]: APP_SECRET }), variable);
    });
  }

  it('a URL with a password is refused without repeating the password', () => {
    const error = configErrorOf({ ...ACCOUNT, WECHAT_API_BASE: `https://proxy:${APP_SECRET}@wx-proxy.example.com` });
    expectOneLine(error, 'WECHAT_API_BASE');
    expect(error.message).to.contain('password');
  });

  it('an AppID and AppSecret swapped pass readConfig, and startDemo names the variable without echoing either', async () => {
    // createWeChat checks the pair when the demo starts; startDemo turns its error into a ConfigError.
    const error = await rejectionOf(startDemo(readConfig({ WECHAT_APP_ID: APP_SECRET, WECHAT_APP_SECRET: APP_ID })));
    expect(error).to.be.instanceOf(ConfigError);
    expectOneLine(error, 'WECHAT_APP_ID');
    expect(error.message).not.to.contain(APP_ID);
  });
});

describe('demo config: the push endpoint', () => {
  const KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

  it('a real account: WECHAT_TOKEN turns it on in plaintext mode; WECHAT_AES_KEY switches it to safe mode', () => {
    expect(readConfig(ACCOUNT).push).to.equal(undefined);
    expect(readConfig({ ...ACCOUNT, WECHAT_TOKEN: 'myToken123' }).push).to.deep.equal({
      token: 'myToken123',
      encodingAESKey: undefined,
      mode: 'plaintext',
      generated: false,
    });
    expect(readConfig({ ...ACCOUNT, WECHAT_TOKEN: 'myToken123', WECHAT_AES_KEY: KEY }).push).to.include({ mode: 'safe', encodingAESKey: KEY });
    expect(readConfig({ ...ACCOUNT, WECHAT_TOKEN: 'myToken123', WECHAT_AES_KEY: KEY, WECHAT_PUSH_MODE: 'compatible' }).push).to.include({
      mode: 'compatible',
    });
  });

  it('the embedded emulator: on by default, with a token made up for the run', () => {
    const push = readConfig({}).push!;
    expect(push.generated).to.equal(true);
    expect(push.token).to.match(/^[0-9a-f]{32}$/);
    expect(push.mode).to.equal('plaintext');
  });

  for (const [title, env, message] of [
    ['a token with a dash', { WECHAT_TOKEN: 'my-secret-token' }, /^WECHAT_TOKEN must be the Token/],
    ['a short AES key', { WECHAT_TOKEN: 'myToken123', WECHAT_AES_KEY: KEY.slice(1) }, /^WECHAT_AES_KEY must be the EncodingAESKey/],
    ['safe mode without a key', { WECHAT_TOKEN: 'myToken123', WECHAT_PUSH_MODE: 'safe' }, /needs WECHAT_AES_KEY/],
    ['a key without a token', { WECHAT_AES_KEY: KEY }, /need WECHAT_TOKEN/],
    ['another mode', { WECHAT_TOKEN: 'myToken123', WECHAT_PUSH_MODE: 'aes' }, /^WECHAT_PUSH_MODE must be/],
  ] as const) {
    it(`${title}: one line that names the variable and quotes no secret`, () => {
      let error: unknown;
      try {
        readConfig({ ...ACCOUNT, ...env });
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as Error).message).to.match(message);
      for (const value of Object.values(env)) if (value.length > 5) expect((error as Error).message).not.to.include(value);
    });
  }
});
