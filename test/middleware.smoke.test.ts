import { expect } from 'chai';
import { useSite } from './support/site.js';

describe('middleware smoke', () => {
  const site = useSite();
  it('signs a follower in and says they follow', async () => {
    const { visitor } = await site.start();
    const browser = visitor();
    const { page, returnTo } = await browser.signIn('/page?x=1', { nickname: 'Band' });
    expect(returnTo).to.equal('/page?x=1');
    expect(page.status).to.equal(200);
    expect(page.body.isConcern).to.equal(true);
    expect(page.body.wechatUser.subscribe).to.equal(1);
    const again = await browser.get('/other');
    expect(again.status).to.equal(200);
    expect(again.body.openid).to.equal(page.body.openid);
  });
});
