/**
 * Findings of an adversarial review of the gate that WeChat returns to: each test pins one failure, on a real
 * Koa site aimed at the emulator.
 */
import { expect } from 'chai';
import { browse, describeBrowse } from './support/drop-in-site.js';
import { useSite } from './support/site.js';

const FOLLOWER = { nickname: 'Review Follower', subscribe: true };
/** A value of the library's state shape that no browser holds a sign-in for. */
const FOREIGN_STATE = 'A'.repeat(32);

describe('gate: adversarial review', () => {
  const site = useSite();

  describe('query parameters named with percent-encoding (`st%61te`, `c%6Fde`), which Koa decodes', () => {
    it('a gated URL with a percent-encoded `state` of its own must not send the visitor round WeChat for ever', async () => {
      const { emulator, visitor } = await site.start();
      const browsed = await browse(visitor(), emulator, '/page?st%61te=x', FOLLOWER);
      expect(browsed.ended, describeBrowse(browsed)).to.equal(true);
      expect(browsed.trips, describeBrowse(browsed)).to.be.at.most(2);
      expect(browsed.response.status, describeBrowse(browsed)).to.equal(200);
    });

    it('a gated URL with a percent-encoded `code` of its own must still sign the visitor in', async () => {
      const { emulator, visitor } = await site.start();
      const browsed = await browse(visitor(), emulator, '/page?c%6Fde=x', FOLLOWER);
      expect(browsed.response.status, describeBrowse(browsed)).to.equal(200);
      expect(browsed.trips, describeBrowse(browsed)).to.equal(1);
    });

    it('a signed-in visitor sent a link with percent-encoded `code` and `state` must not be redirected to the same URL for ever', async () => {
      const { emulator, visitor } = await site.start();
      const browser = visitor();
      await browser.signIn('/page', FOLLOWER);
      const browsed = await browse(browser, emulator, `/page?c%6Fde=x&st%61te=${FOREIGN_STATE}`, FOLLOWER);
      expect(browsed.ended, describeBrowse(browsed)).to.equal(true);
      expect(browsed.response.status, describeBrowse(browsed)).to.equal(200);
    });
  });

  describe('the clean URL as a redirect', () => {
    it('a signed-in visitor sent to `//evil.example/?code&state` must not be redirected off the site (open redirect)', async () => {
      const { visitor } = await site.start();
      const browser = visitor();
      await browser.signIn('/page', FOLLOWER);
      const response = await browser.get(`//evil.example/?code=x&state=${FOREIGN_STATE}`);
      const location = response.headers.location ?? '';
      expect(location, `${response.status} -> ${location}`).not.to.match(/^\/\/|^[a-z][a-z0-9+.-]*:/i);
      expect(response.text ?? '').not.to.include('href="//evil.example');
    });

    it('a visitor not signed in sent to `//evil.example/?code&state` must not be offered a link off the site', async () => {
      const { visitor } = await site.start();
      const response = await visitor().get(`//evil.example/?code=x&state=${FOREIGN_STATE}`);
      expect(response.text ?? '', `${response.status} ${response.headers.location}`).not.to.include('href="//evil.example');
      expect(response.headers.location ?? '').not.to.match(/^\/\//);
    });
  });
});
