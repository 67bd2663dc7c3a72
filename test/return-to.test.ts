/**
 * Where the visitor lands after signing in is taken from the gated request itself, so it must never be a
 * place off the site (an open redirect that a phishing link could ride through WeChat's sign-in).
 * The rule is the browser's: a return-to is kept only when a browser, resolving it on our page, stays on
 * our origin. Node's URL parser implements the WHATWG URL standard that browsers follow, so the tests use
 * it as the browser.
 */
import { request, type IncomingHttpHeaders } from 'node:http';
import { expect } from 'chai';
import { MAX_RETURN_TO_LENGTH, safeReturnTo } from '../lib/sign-in/return-to.js';
import { useSite, type Site } from './support/site.js';

const SITE = 'https://site.example';

/** Where a browser on our page goes when it follows `href` (undefined when it cannot parse it). */
function browserOrigin(href: string): string | undefined {
  return URL.canParse(href, SITE) ? new URL(href, SITE).origin : undefined;
}

/** Sends a request line exactly as written: neither supertest nor fetch would keep `//evil.com/x` or `\`. */
function rawGet(site: Site, path: string, cookie = ''): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: '127.0.0.1', port: new URL(site.url).port, path, headers: { Accept: 'text/html', ...(cookie === '' ? {} : { Cookie: cookie }) } },
      (incoming) => {
        incoming.resume();
        incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** The `name=value` pairs of Set-Cookie, merged over the ones sent before (as a browser's jar would). */
function cookieJar(previous: string, headers: IncomingHttpHeaders): string {
  const jar = new Map<string, string>();
  const pairs = [...(previous === '' ? [] : previous.split('; ')), ...(headers['set-cookie'] ?? []).map((line) => line.split(';')[0]!)];
  for (const pair of pairs) jar.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
  return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
}

/** Every way we know to write "another host" so that a browser reads it as one. */
const OFF_SITE = [
  '//evil.com',
  '///evil.com',
  '/\\evil.com',
  '/\\\\evil.com',
  '\\\\evil.com',
  '\\/evil.com',
  'http://evil.com',
  'https://evil.com/page',
  'http:\\\\evil.com',
  // Browsers drop tabs and newlines anywhere in a URL: these are `//evil.com` to them.
  '/\t/evil.com',
  '/\n/evil.com',
  '/\r/evil.com',
  '/\r\n/evil.com',
  // And they strip leading spaces and control characters.
  ' //evil.com',
  '\t//evil.com',
  '\u0000//evil.com',
  '\u001f//evil.com',
];

/** Not a path, or not one we keep, although a browser on an https page would stay (or go nowhere). */
const NOT_PATHS = [
  'https:evil.com',
  'http:evil.com',
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'evil.com',
  'page',
  '?x=1',
  '#top',
  '',
];

/** Local paths as `ctx.originalUrl` gives them (no fragment ever reaches a server, but a string may hold one). */
const LOCAL = [
  '/',
  '/page',
  '/page?x=1&y=%2F%2F',
  '/page?next=//evil.com',
  '/a/b#frag',
  '/中文',
  '/%E4%B8%AD%E6%96%87?q=%E5%BE%AE%E4%BF%A1',
  // Percent-encoding is data to a browser, never a separator or a dropped tab: these stay on the origin.
  '/%2F%2Fevil.com',
  '/%5Cevil.com',
  '/%09/evil.com',
  // Dot segments resolve to the path `//evil.com`, still on our origin: `https://site.example//evil.com`.
  '/.//evil.com',
];

describe('safeReturnTo: anything a browser would read as another site becomes /', () => {
  for (const candidate of OFF_SITE) {
    it(`${JSON.stringify(candidate)} (a browser would go to another host) gives /`, () => {
      // The case is real: a browser resolving it on our page leaves our origin.
      expect(browserOrigin(candidate)).to.not.equal(SITE);
      expect(safeReturnTo(candidate)).to.equal('/');
    });
  }

  for (const candidate of NOT_PATHS) {
    it(`${JSON.stringify(candidate)} (not an absolute local path) gives /`, () => {
      expect(safeReturnTo(candidate)).to.equal('/');
    });
  }

  it('a return-to resolved on an http page: https:evil.com leaves the origin there, and gives /', () => {
    expect(new URL('https:evil.com', 'http://site.example').host).to.equal('evil.com');
    expect(safeReturnTo('https:evil.com')).to.equal('/');
  });

  it('non-strings give /', () => {
    for (const candidate of [undefined, null, 0, 1, true, {}, [], ['/page'], new URL('/page', SITE), Symbol('x')]) {
      expect(safeReturnTo(candidate), String(typeof candidate)).to.equal('/');
    }
  });

  it('a return path longer than 512 characters loses its query, then its path: a cookie session must stay under 4 KB', () => {
    const exact = `/${'a'.repeat(MAX_RETURN_TO_LENGTH - 1)}`;
    expect(safeReturnTo(exact)).to.equal(exact);
    expect(safeReturnTo(`/page?x=${'b'.repeat(MAX_RETURN_TO_LENGTH)}`)).to.equal('/page');
    expect(safeReturnTo(`/page#${'b'.repeat(MAX_RETURN_TO_LENGTH)}`)).to.equal('/page');
    expect(safeReturnTo(`${exact}a`)).to.equal('/');
    expect(safeReturnTo(`//evil.com/?x=${'%2F'.repeat(5000)}`)).to.equal('/');
    expect(safeReturnTo(`/page?x=${'%2F'.repeat(5000)}`), 'past 8 KB: not even parsed').to.equal('/');
  });
});

describe('safeReturnTo: a local path is kept exactly as it came', () => {
  for (const candidate of LOCAL) {
    it(`${JSON.stringify(candidate)} is kept`, () => {
      expect(browserOrigin(candidate)).to.equal(SITE);
      expect(safeReturnTo(candidate)).to.equal(candidate);
    });
  }
});

describe('return-to end to end: a gated request for another host signs in and lands on /', () => {
  const site = useSite();

  /** Raw request line → WeChat → callback; answers the callback's Location, then follows it. */
  async function signInRaw(started: Site, path: string, nickname: string) {
    const first = await rawGet(started, path);
    expect(first.status, `the gated ${path} must send the browser to WeChat`).to.equal(302);
    let cookie = cookieJar('', first.headers);
    const callback = await started.visitor().authorize(first.headers.location!, { nickname, subscribe: true });
    const back = await rawGet(started, `${callback.pathname}${callback.search}`, cookie);
    expect(back.status).to.equal(302);
    cookie = cookieJar(cookie, back.headers);
    const landing = await rawGet(started, back.headers.location!, cookie);
    return { location: back.headers.location!, landing };
  }

  for (const path of ['//evil.com/x', '/\\evil.com', '//evil.com/x?y=1', '/\\/evil.com/x']) {
    it(`a request for ${JSON.stringify(path)} ends on / of the site, signed in`, async () => {
      const started = await site.start();
      const { location, landing } = await signInRaw(started, path, 'Band');
      expect(location).to.equal('/');
      expect(landing.status).to.equal(200);
    });
  }

  it('the callback Location is a local path on the site for every kind of gated URL', async () => {
    const started = await site.start();
    const paths = ['//evil.com', '///evil.com/a', '/\\\\evil.com', '/%2F%2Fevil.com', '/page?x=1&y=%2F%2F', '/.//evil.com', '/%E4%B8%AD%E6%96%87'];
    for (const [index, path] of paths.entries()) {
      const { location } = await signInRaw(started, path, `Walker ${index}`);
      expect(location, path).to.match(/^\/(?![/\\])/);
      expect(new URL(location, started.url).origin, path).to.equal(started.url);
    }
  });

  it('a local gated URL is where the visitor lands, query and all', async () => {
    const started = await site.start();
    const { location } = await signInRaw(started, '/page?x=1&y=%2F%2F', 'Band');
    expect(location).to.equal('/page?x=1&y=%2F%2F');
  });
});
