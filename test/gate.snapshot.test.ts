/**
 * A snapshot page (WeChat shows a read-only snapshot of a page it deems non-compliant, and the snsapi_userinfo
 * code then belongs to one virtual user, `is_snapshotuser: 1`) is told apart on `ctx.state.snapshotUser`.
 *
 * What `ctx.state.isConcern` holds there: `false`. The virtual openid follows nothing, and WeChat is not asked
 * about it (its user/info would only refuse it). So for a snapshot visit `isConcern: false` does not mean "this
 * person does not follow"; a route that must tell the two apart reads `ctx.state.snapshotUser` first.
 */
import { expect } from 'chai';
import type Koa from 'koa';
import { useDropInSite, browse, describeBrowse } from './support/drop-in-site.js';
import { wechatCalls } from './support/services.js';
import { echoState } from './support/site.js';

interface SnapshotEcho {
  openid: string;
  isConcern: boolean | null;
  snapshotUser: unknown;
}

/** The route's answer: `ctx.state` as echoState gives it, and `snapshotUser` (the landed types do not name it). */
function echoWithSnapshot(ctx: Koa.Context): void {
  echoState(ctx);
  const state = ctx.state as { snapshotUser?: unknown };
  ctx.body = { ...(ctx.body as object), snapshotUser: 'snapshotUser' in state ? state.snapshotUser : '(not set)' };
}

describe('gate: snapshot-page visitors', () => {
  const site = useDropInSite();
  const start = () =>
    site.start({
      mount(app, dropIn) {
        app.use(dropIn({ scope: 'snsapi_userinfo' }));
        app.use(echoWithSnapshot);
      },
    });

  it('REGRESSION: a snapshot-page visitor gets ctx.state.snapshotUser === true (and isConcern false: WeChat was not asked)', async () => {
    const { emulator, visitor } = await start();
    const before = wechatCalls(emulator).userInfoCalls;
    const browsed = await browse(visitor(), emulator, '/article', { nickname: 'Band', snapshot: true });
    expect(browsed.response.status, describeBrowse(browsed)).to.equal(200);
    const echo = browsed.response.body as SnapshotEcho;
    expect(echo.openid, "the virtual openid, not Band's").not.to.equal(emulator.findUser('Band')!.openid);
    expect(echo.snapshotUser).to.equal(true);
    expect(echo.isConcern).to.equal(false);
    expect(wechatCalls(emulator).userInfoCalls, 'WeChat was not asked about the virtual user').to.equal(before);
    expect(emulator.calls('/sns/userinfo')).to.equal(0);
  });

  it('REGRESSION: a normal visitor gets ctx.state.snapshotUser === false', async () => {
    const { emulator, visitor } = await start();
    const browsed = await browse(visitor(), emulator, '/article', { nickname: 'Band' });
    expect(browsed.response.status, describeBrowse(browsed)).to.equal(200);
    const echo = browsed.response.body as SnapshotEcho;
    expect(echo.openid).to.equal(emulator.findUser('Band')!.openid);
    expect(echo.snapshotUser).to.equal(false);
    expect(echo.isConcern).to.equal(true);
  });
});
