/**
 * The one door to WeChat's HTTP API: got with a timeout and keep-alive, the body read as JSON whatever the
 * Content-Type says, errcode answers turned into typed errors, safe calls retried with bounded backoff, and
 * every trace of a secret scrubbed from what leaves this file.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import got, { type Response } from 'got';
import { WeChatApiError, WeChatUnavailableError } from '../errors.js';
import { debug } from '../util/debug.js';
import { redact } from '../util/redact.js';
import type { ResolvedClientOptions } from './options.js';

export type JsonObject = Record<string, unknown>;

/**
 * Checks the shape of a success body and returns it typed. `invalid(detail)` builds the error to throw when the
 * shape is wrong, already naming the endpoint, so that callers never spell one out.
 */
export type Validate<T> = (body: JsonObject, invalid: (detail: string) => WeChatUnavailableError) => T;

/** One call to WeChat, described without a URL so that nothing here has to be parsed back. */
export interface WeChatRequest {
  method: 'GET' | 'POST';
  /** Such as `/cgi-bin/user/info`. */
  path: string;
  /** Query parameters, in the order WeChat documents them. */
  query: ReadonlyArray<readonly [string, string]>;
  /** A JSON body, for POST. */
  body?: JsonObject;
  /** Safe to send again? False for the code exchange: a code works once, so a retry would only fail with 40163. */
  idempotent: boolean;
  /** Secret values this call carries besides the app secret (tokens, codes), scrubbed from everything we emit. */
  secrets: readonly string[];
}

export class HttpTransport {
  readonly #options: ResolvedClientOptions;
  // Private fields: util.inspect and JSON.stringify of the client never reach the secret.
  readonly #appSecret: string;
  readonly #agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

  constructor(options: ResolvedClientOptions, appSecret: string) {
    this.#options = options;
    this.#appSecret = appSecret;
  }

  /** Sends the call, retrying what is safe to retry; resolves with the success body, as `validate` typed it. */
  async request<T>(call: WeChatRequest, validate: Validate<T>): Promise<T> {
    const { retries, minDelay, maxDelay } = this.#options.retry;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#attempt(call, validate, attempt);
      } catch (error) {
        const retryable = (error instanceof WeChatApiError || error instanceof WeChatUnavailableError) && error.retryable;
        if (!retryable || !call.idempotent || attempt > retries) throw error;
      }
      // Exponential backoff with jitter, so that many processes retrying together spread out.
      const ceiling = Math.min(maxDelay, minDelay * 2 ** (attempt - 1));
      await sleep(1000 * (ceiling / 2 + (Math.random() * ceiling) / 2));
    }
  }

  /** Closes the kept-alive sockets, so that a process (or a test) can exit. */
  close(): void {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }

  async #attempt<T>(call: WeChatRequest, validate: Validate<T>, attempt: number): Promise<T> {
    const secrets = [this.#appSecret, ...call.secrets];
    const url = this.#url(call);
    const started = performance.now();
    const trace = (outcome: string): void => {
      if (debug.enabled) {
        const elapsed = Math.round(performance.now() - started);
        debug('%s -> %s (%dms, attempt %d)', redact(`${call.method} ${url}`, secrets), outcome, elapsed, attempt);
      }
    };
    try {
      const response = await this.#send(call, url, secrets);
      const invalid = (detail: string): WeChatUnavailableError =>
        new WeChatUnavailableError({ reason: 'invalid_response', endpoint: endpointOf(call), detail, httpStatus: response.statusCode });
      const result = validate(this.#parse(response, call, secrets, invalid), invalid);
      trace('ok');
      return result;
    } catch (error) {
      trace(error instanceof Error ? error.message : 'error');
      throw error;
    }
  }

  async #send(call: WeChatRequest, url: string, secrets: string[]): Promise<Response<string>> {
    try {
      return await got(url, {
        method: call.method,
        json: call.body,
        headers: { accept: 'application/json', 'user-agent': 'koa-wechat-subscription' },
        responseType: 'text',
        // We read every status ourselves, so that got never builds an error that holds the full URL.
        throwHttpErrors: false,
        followRedirect: false,
        retry: { limit: 0 },
        timeout: { request: this.#options.timeout * 1000 },
        agent: this.#agents,
      });
    } catch (error) {
      throw networkFailure(error, endpointOf(call), secrets, this.#options.timeout);
    }
  }

  #parse(response: Response<string>, call: WeChatRequest, secrets: string[], invalid: (detail: string) => WeChatUnavailableError): JsonObject {
    const contentType = redact(response.headers['content-type'] ?? 'no content type', secrets).slice(0, 60);
    if (response.statusCode < 200 || response.statusCode > 299) {
      const detail = `answered HTTP ${response.statusCode} (${contentType}): ${snippet(response.body, secrets)}`;
      throw new WeChatUnavailableError({ reason: 'http_status', endpoint: endpointOf(call), detail, httpStatus: response.statusCode });
    }
    let body: unknown;
    try {
      // `/sns/*` answers JSON labelled text/plain: the body decides, never the header.
      body = JSON.parse(response.body);
    } catch {
      throw invalid(`answered with a body that is not JSON (${contentType}): ${snippet(response.body, secrets)}`);
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw invalid('answered with JSON that is not an object');
    }
    const answer = body as JsonObject;
    // Success bodies usually have no errcode; a few send errcode 0.
    if (answer.errcode !== undefined) {
      const errcode = Number(answer.errcode);
      if (!Number.isInteger(errcode)) throw invalid('answered with an errcode that is not a number');
      if (errcode === 0) return answer;
      const errmsg = typeof answer.errmsg === 'string' ? redact(answer.errmsg, secrets) : '';
      throw new WeChatApiError({ errcode, errmsg, path: call.path });
    }
    return answer;
  }

  #url(call: WeChatRequest): string {
    const query = call.query.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&');
    return `${this.#options.apiBaseUrl}${call.path}${query === '' ? '' : `?${query}`}`;
  }
}

/** `GET /cgi-bin/token`: how errors name a call, with no query string. */
function endpointOf(call: WeChatRequest): string {
  return `${call.method} ${call.path}`;
}

/** A got RequestError, as a WeChatUnavailableError whose cause is a scrubbed copy, never got's own error. */
function networkFailure(error: unknown, endpoint: string, secrets: string[], timeout: number): WeChatUnavailableError {
  const low = error instanceof Error ? error : new Error(String(error));
  const code = (low as { code?: unknown }).code;
  const cause = Object.assign(new Error(redact(low.message, secrets)), { name: low.name, code });
  if (low.name === 'TimeoutError') {
    return new WeChatUnavailableError({ reason: 'timeout', endpoint, detail: `did not answer within ${timeout}s`, cause });
  }
  const detail = `failed: ${typeof code === 'string' ? `${code} ` : ''}${cause.message}`;
  return new WeChatUnavailableError({ reason: 'network', endpoint, detail, cause });
}

/** The start of a body, one line, scrubbed: enough to tell an nginx page from a CDN's. */
function snippet(body: string, secrets: string[]): string {
  // Redact before cutting, so that a cut can never leave half a secret behind.
  const oneLine = redact(body, secrets).replace(/\s+/g, ' ').trim();
  if (oneLine === '') return 'empty body';
  return JSON.stringify(oneLine.length > 80 ? `${oneLine.slice(0, 80)}…` : oneLine);
}
