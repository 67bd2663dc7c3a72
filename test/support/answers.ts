/** Checks of the middleware's answers, shared by the tests of the gate and of the callback. */
import { expect } from 'chai';
import type { Response } from 'supertest';
import type { Emulator } from '../../lib/emulator/index.js';

/** What the test routes answer (`echoState`): the contract of `ctx.state`, as JSON. */
export interface Echo {
  path: string;
  query: string;
  openid: string;
  isConcern: boolean | null;
  wechatUser: Record<string, unknown> | null;
}

export function echoOf(response: { body: unknown }): Echo {
  return response.body as Echo;
}

/** A page of the middleware's own: the status, its stable error code, no stack, and never cached. */
export function expectPage(response: Response, status: number, error: string): void {
  expect(response.status, response.text.slice(0, 300)).to.equal(status);
  expect(response.headers['content-type']).to.match(/^text\/html/);
  expect(response.text).to.include(`data-error="${error}"`);
  expect(response.text).not.to.include('    at ');
  expect(response.headers['cache-control']).to.equal('no-store');
}

/** A redirect to WeChat's authorize page; answers the state it carries. */
export function expectToWeChat(response: Response, emulator: Emulator): string {
  expect(response.status, response.text.slice(0, 300)).to.equal(302);
  expect(response.headers['cache-control']).to.equal('no-store');
  const location = new URL(response.headers.location!);
  expect(`${location.origin}${location.pathname}`).to.equal(`${emulator.url}/connect/oauth2/authorize`);
  return location.searchParams.get('state')!;
}
