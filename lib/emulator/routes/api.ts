/**
 * The WeChat API endpoints behind one gate that counts each call, records it (secrets masked), answers the
 * planned faults instead of the endpoint, and refuses the wrong method as WeChat does (43001, 43002).
 */
import type { Context, Next } from 'koa';
import { refuse } from '../http/answer.js';
import { BodyTooLargeError } from '../../util/read-body.js';
import type { EmulatorState } from '../state/index.js';
import type { FaultKind } from '../state/faults.js';
import { AUTHORIZE_PATH } from './authorize.js';
import type { Endpoint } from './endpoint.js';
import { classicToken, stableToken } from './global-token.js';
import { checkOAuthToken, exchangeCode, refreshToken, snsUserInfo } from './oauth-api.js';
import { followers, userInfo, userInfoBatch } from './user-api.js';

export const API_ENDPOINTS: readonly Endpoint[] = [
  classicToken,
  stableToken,
  exchangeCode,
  refreshToken,
  checkOAuthToken,
  snsUserInfo,
  userInfo,
  userInfoBatch,
  followers,
];

const BY_PATH = new Map(API_ENDPOINTS.map((endpoint) => [endpoint.path, endpoint]));

/** What a proxy in front of WeChat answers when it breaks. */
const HTML_500 =
  '<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body>\r\n<center><h1>500 Internal Server Error</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

export function apiRoutes(state: EmulatorState) {
  return async function api(ctx: Context, next: Next): Promise<void> {
    const endpoint = BY_PATH.get(ctx.path);
    // The authorize page is counted and recorded too; its own routes answer it.
    if (endpoint === undefined && !(ctx.path === AUTHORIZE_PATH && ctx.method === 'GET')) {
      await next();
      return;
    }
    state.traffic.count(ctx.path);
    // On the real clock, not the emulator's: a test's fake or advanced time must not change how long a call takes.
    if (state.options.latency > 0) await new Promise((resolve) => setTimeout(resolve, state.options.latency * 1000));
    const fault = endpoint === undefined ? undefined : state.faults.take(endpoint.path);
    const record = (status: number): void =>
      state.traffic.record({ method: ctx.method, url: canonicalUrl(ctx), status, errcode: (ctx.state as { errcode?: number }).errcode, fault });
    try {
      if (endpoint === undefined) await next();
      else if (fault !== undefined) answerFault(ctx, state, endpoint, fault);
      else if (!methodAllowed(endpoint, ctx.method))
        refuse(ctx, endpoint.flavor, endpoint.method === 'GET' ? 43001 : 43002, state.clock.unixSeconds());
      else await endpoint.handle(ctx, state);
    } catch (error) {
      // Each surface answers an oversized body in its own format: here plain text, as a proxy would.
      if (!(error instanceof BodyTooLargeError)) {
        record(500);
        throw error;
      }
      ctx.status = 413;
      ctx.type = 'text/plain';
      ctx.body = 'request entity too large';
    }
    record(ctx.respond === false ? 0 : ctx.status);
  };
}

/** The path and the query as the endpoints read them (`s%65cret` is `secret`), so that the masking sees every secret. */
function canonicalUrl(ctx: Context): string {
  return ctx.querystring === '' ? ctx.path : `${ctx.path}?${new URLSearchParams(ctx.querystring).toString()}`;
}

function methodAllowed(endpoint: Endpoint, method: string): boolean {
  return method === endpoint.method || (endpoint.method === 'GET' && method === 'HEAD');
}

function answerFault(ctx: Context, state: EmulatorState, endpoint: Endpoint, fault: FaultKind): void {
  switch (fault) {
    case 'busy':
      return refuse(ctx, endpoint.flavor, -1, state.clock.unixSeconds());
    case 'quota':
      return refuse(ctx, endpoint.flavor, 45009, state.clock.unixSeconds());
    case 'html500':
      ctx.status = 500;
      ctx.type = 'text/html';
      ctx.body = HTML_500;
      return;
    case 'hang':
      // No answer at all: the request stays open until the client gives up or the emulator closes.
      ctx.respond = false;
      return;
    case 'reset':
      ctx.respond = false;
      ctx.req.socket.destroy();
      return;
  }
}
