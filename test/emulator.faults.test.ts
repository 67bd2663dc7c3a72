import { expect } from 'chai';
import { WeChatApiError, WeChatUnavailableError } from '../lib/index.js';
import { useEmulator } from './support/emulator.js';
import { HANG_TIMEOUT, rejectionOf } from './support/fixtures.js';

describe('emulator: faults', () => {
  const h = useEmulator();

  it('busy: the next N calls answer -1, which the client retries through', async () => {
    const { client, emulator } = await h.start();
    emulator.injectFault('/cgi-bin/token', 'busy', 2);
    expect((await client.fetchClassicToken()).access_token).to.match(/^86_/);
    expect(emulator.calls('/cgi-bin/token')).to.equal(3);
    expect(emulator.requests().map((call) => call.fault)).to.deep.equal(['busy', 'busy', undefined]);
  });

  it('busy past the client’s retries: a 503 WeChatApiError with errcode -1', async () => {
    const { client, emulator } = await h.start({}, { retry: { retries: 1, minDelay: 0.001, maxDelay: 0.001 } });
    emulator.injectFault('/cgi-bin/stable_token', 'busy', 5);
    const error = (await rejectionOf(client.fetchStableToken())) as WeChatApiError;
    expect([error.errcode, error.status]).to.deep.equal([-1, 503]);
    expect(error.rid).to.match(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
  });

  it('quota: 45009 once, not retried, then the endpoint works again', async () => {
    const { client, emulator } = await h.start();
    emulator.injectFault('/cgi-bin/token', 'quota');
    expect(((await rejectionOf(client.fetchClassicToken())) as WeChatApiError).errcode).to.equal(45009);
    expect(emulator.calls('/cgi-bin/token')).to.equal(1);
    expect((await client.fetchClassicToken()).expires_in).to.equal(7200);
  });

  it('html500: a proxy’s HTML 500 page, which the client reports as WeChat unavailable', async () => {
    const { client, emulator } = await h.start({}, { retry: { retries: 0 } });
    emulator.injectFault('/cgi-bin/user/info', 'html500');
    const accessToken = (await client.fetchStableToken()).access_token;
    const error = (await rejectionOf(client.fetchUserInfo({ accessToken, openid: emulator.findUser('Band')!.openid }))) as WeChatUnavailableError;
    expect(error).to.be.instanceOf(WeChatUnavailableError);
    expect([error.reason, error.httpStatus]).to.deep.equal(['http_status', 500]);
    expect(error.message).to.contain('500 Internal Server Error');
  });

  it('hang: no answer until the client’s timeout', async () => {
    const { client, emulator } = await h.start({}, { timeout: HANG_TIMEOUT, retry: { retries: 0 } });
    emulator.injectFault('/sns/oauth2/access_token', 'hang');
    const error = (await rejectionOf(client.exchangeCode('061SomeCode00000000000000000000A'))) as WeChatUnavailableError;
    expect(error.reason).to.equal('timeout');
  });

  it('reset: the connection is cut', async () => {
    const { client, emulator } = await h.start({}, { retry: { retries: 0 } });
    emulator.injectFault('/cgi-bin/token', 'reset');
    const error = (await rejectionOf(client.fetchClassicToken())) as WeChatUnavailableError;
    expect(error.reason).to.equal('network');
  });

  it('* hits any endpoint, in call order', async () => {
    const { client, emulator } = await h.start({}, { retry: { retries: 0 } });
    emulator.injectFault('*', 'busy', 2);
    await rejectionOf(client.fetchClassicToken());
    await rejectionOf(client.fetchStableToken());
    await client.fetchStableToken();
    expect(emulator.counters()).to.deep.equal({ '/cgi-bin/stable_token': 2, '/cgi-bin/token': 1 });
  });

  it('leaves other endpoints alone, and clearFaults() cancels what is planned', async () => {
    const { client, emulator } = await h.start({}, { retry: { retries: 0 } });
    emulator.injectFault('/cgi-bin/token', 'busy', 10);
    await client.fetchStableToken();
    emulator.clearFaults();
    await client.fetchClassicToken();
    expect(emulator.requests().map((call) => call.fault)).to.deep.equal([undefined, undefined]);
    expect(emulator.counters()).to.deep.equal({ '/cgi-bin/stable_token': 1, '/cgi-bin/token': 1 });
  });

  it('refuses an unknown endpoint or kind', async () => {
    const { emulator } = await h.start();
    expect(() => emulator.injectFault('/cgi-bin/nope', 'busy')).to.throw(TypeError, /unknown endpoint/);
    expect(() => emulator.injectFault('/cgi-bin/token', 'explode' as never)).to.throw(TypeError, /fault kind/);
    expect(() => emulator.injectFault('/cgi-bin/token', 'busy', 0)).to.throw(TypeError, /times/);
  });

  it('close() ends hung requests', async () => {
    const { emulator } = await h.start();
    emulator.injectFault('/cgi-bin/token', 'hang');
    const pending = fetch(`${emulator.url}/cgi-bin/token`).then(
      () => 'answered',
      () => 'cut',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    await emulator.close();
    expect(await pending).to.equal('cut');
  });
});
