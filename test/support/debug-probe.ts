/**
 * Run in a child process by client.secrets.test.ts, with NODE_DEBUG set or not: makes every kind of call,
 * through successes and failures, and prints each error's JSON, so that the test can scan all the output.
 */
import { CALLS } from './calls.js';
import { errcode, hang, json, raw, startFakeWeChat } from './fake-wechat.js';
import { ACCESS_TOKEN, HANG_TIMEOUT, makeClient } from './fixtures.js';

const echo = (request: { rawUrl: string; body: string }) => `${request.rawUrl} ${request.body}`;

const server = await startFakeWeChat({
  'GET /cgi-bin/token': json({ access_token: ACCESS_TOKEN, expires_in: 7200 }),
  'POST /cgi-bin/stable_token': hang,
  'GET /sns/oauth2/access_token': (req, res) => errcode(40163, `code been used ${echo(req)}`)(req, res),
  'GET /sns/userinfo': (req, res) => raw(200, `<html>${echo(req)}</html>`)(req, res),
  'GET /cgi-bin/user/info': (req, res) => raw(500, `<pre>${echo(req)}</pre>`)(req, res),
  'POST /cgi-bin/user/info/batchget': (req, res) => json({ errcode: -1, errmsg: echo(req) })(req, res),
});
const client = makeClient(server.url, { timeout: HANG_TIMEOUT });
for (const call of CALLS) {
  try {
    await call.run(client);
    console.log(`${call.name}: ok`);
  } catch (error) {
    console.log(`${call.name}: ${JSON.stringify(error)}`);
  }
}
client.close();
await server.close();
console.log('probe done');
