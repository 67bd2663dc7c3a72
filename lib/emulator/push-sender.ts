/**
 * Sends follow and unfollow events to the site's push URL as WeChat does: XML, signed in the query string,
 * encrypted in safe mode, and tried again (three tries in all) when no answer comes within 5 seconds.
 */
import got from 'got';
import { buildEncryptedEnvelope, buildEventXml, messageSignature, parseFlatXml, pushSignature, signaturesEqual } from '../push/index.js';
import type { Clock } from './clock.js';
import type { IdFactory } from './ids.js';
import type { PushMode, ResolvedEmulatorOptions, ResolvedPush } from './options.js';

export interface PushAttempt {
  /** The HTTP status, when an answer came. */
  readonly status: number | undefined;
  /** The start of the answer's body. */
  readonly reply: string | undefined;
  /** Why no usable answer came: a timeout, a refused connection, a non-2xx status. */
  readonly error: string | undefined;
  /** The whole body (at most 64 KiB), for reading a passive reply. */
  readonly body?: string;
  readonly ms: number;
}

export interface PushDelivery {
  readonly id: number;
  readonly event: 'subscribe' | 'unsubscribe';
  readonly openid: string;
  /** Unix seconds; with `openid`, what receivers dedupe retries on. */
  readonly createTime: number;
  readonly mode: PushMode;
  /** The passive reply the site answered with, as the user's chat shows it. */
  reply?: PassiveReply;
  /**
   * `delivered`: answered `success`, an empty body or a passive reply. `bad_reply`: answered 2xx with anything else (WeChat then
   * tells the user "该公众号暂时无法提供服务"). `failed`: every try timed out or failed. `pending`: still trying.
   */
  outcome: 'pending' | 'delivered' | 'bad_reply' | 'failed';
  readonly attempts: PushAttempt[];
}

/** A message the site sent back in its answer to a push (被动回复): a text, or a news card. */
export interface PassiveReply {
  readonly msgType: 'text' | 'news';
  readonly content?: string;
  readonly title?: string;
  readonly description?: string;
  readonly url?: string;
}

const KEPT_DELIVERIES = 50;
const MAX_BODY = 64 * 1024;

export class PushSender {
  #push: ResolvedPush | undefined;
  readonly #accountId: string;
  readonly #clock: Clock;
  readonly #ids: IdFactory;
  readonly #deliveries: PushDelivery[] = [];
  readonly #inFlight = new Set<Promise<unknown>>();
  #nextId = 1;

  constructor(options: ResolvedEmulatorOptions, clock: Clock, ids: IdFactory) {
    this.#push = options.push;
    this.#accountId = options.accountId;
    this.#clock = clock;
    this.#ids = ids;
  }

  /** Saves another server configuration (or none), as the MP console does; pushes under way keep theirs. */
  configure(push: ResolvedPush | undefined): void {
    this.#push = push;
  }

  /** The push URL, when pushes are configured. */
  get url(): string | undefined {
    return this.#push?.url;
  }

  /** Starts sending; resolves when the delivery is settled. Undefined when no push URL is configured. */
  send(event: 'subscribe' | 'unsubscribe', openid: string): Promise<PushDelivery> | undefined {
    const push = this.#push;
    if (push === undefined) return undefined;
    const delivery: PushDelivery = {
      id: this.#nextId++,
      event,
      openid,
      createTime: this.#clock.unixSeconds(),
      mode: push.mode,
      outcome: 'pending',
      attempts: [],
    };
    this.#deliveries.push(delivery);
    if (this.#deliveries.length > KEPT_DELIVERIES) this.#deliveries.shift();
    const sending = this.#deliver(push, delivery).then(() => delivery);
    this.#inFlight.add(sending);
    void sending.finally(() => this.#inFlight.delete(sending));
    return sending;
  }

  /** The latest deliveries, newest last. */
  deliveries(): readonly PushDelivery[] {
    return [...this.#deliveries];
  }

  /** Resolves once every delivery started so far has settled. */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /**
   * The URL check the MP console makes when the configuration is saved: a signed GET with `echostr`, which the
   * site must answer with exactly that `echostr`.
   */
  async verify(): Promise<{ ok: boolean; status: number | undefined; error: string | undefined }> {
    const push = this.#push;
    if (push === undefined) return { ok: false, status: undefined, error: 'no push URL is configured' };
    const timestamp = String(this.#clock.unixSeconds());
    const nonce = this.#ids.nonce();
    const echostr = this.#ids.nonce() + this.#ids.nonce();
    const url = withQuery(push.url, { signature: pushSignature(push.token, timestamp, nonce), echostr, timestamp, nonce });
    const attempt = await this.#attempt(push, url, 'GET', undefined);
    const ok = attempt.status !== undefined && attempt.status < 300 && attempt.reply === echostr;
    return { ok, status: attempt.status, error: ok ? undefined : (attempt.error ?? 'the answer was not the echostr') };
  }

  async #deliver(push: ResolvedPush, delivery: PushDelivery): Promise<void> {
    const { url, body } = this.#envelope(push, delivery);
    for (let tries = 0; tries < push.attempts; tries++) {
      const attempt = await this.#attempt(push, url, 'POST', body);
      delivery.attempts.push(attempt);
      if (attempt.error === undefined) {
        const reply = (attempt.body ?? '').trim();
        if (reply === '' || reply === 'success') {
          delivery.outcome = 'delivered';
          return;
        }
        const message = readPassiveReply(push, this.#accountId, delivery.openid, reply);
        delivery.outcome = message === undefined ? 'bad_reply' : 'delivered';
        if (message !== undefined) delivery.reply = message;
        return;
      }
    }
    delivery.outcome = 'failed';
  }

  /** The signed URL and the XML body; the same for every try, so receivers can dedupe on the content. */
  #envelope(push: ResolvedPush, delivery: PushDelivery): { url: string; body: string } {
    const timestamp = String(this.#clock.unixSeconds());
    const nonce = this.#ids.nonce();
    const query: Record<string, string> = {
      signature: pushSignature(push.token, timestamp, nonce),
      timestamp,
      nonce,
      openid: delivery.openid,
    };
    const event = { toUserName: this.#accountId, fromUserName: delivery.openid, createTime: delivery.createTime, event: delivery.event };
    const plain = buildEventXml(event);
    if (push.mode === 'plaintext' || push.cipher === undefined) return { url: withQuery(push.url, query), body: plain };
    const encrypt = push.cipher.encrypt(plain);
    query.encrypt_type = 'aes';
    query.msg_signature = messageSignature(push.token, timestamp, nonce, encrypt);
    // Compatible mode carries the plaintext fields and the Encrypt element side by side.
    const body = push.mode === 'safe' ? buildEncryptedEnvelope(this.#accountId, encrypt) : buildEventXml(event, encrypt);
    return { url: withQuery(push.url, query), body };
  }

  async #attempt(push: ResolvedPush, url: string, method: 'GET' | 'POST', body: string | undefined): Promise<PushAttempt> {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    try {
      const response = await got(url, {
        method,
        body,
        headers: { 'content-type': 'text/xml', 'user-agent': 'Mozilla/4.0' },
        responseType: 'text',
        throwHttpErrors: false,
        followRedirect: false,
        retry: { limit: 0 },
        timeout: { request: push.timeout * 1000 },
      });
      const reply = response.body.slice(0, 200);
      const error = response.statusCode >= 200 && response.statusCode < 300 ? undefined : `answered HTTP ${response.statusCode}`;
      return { status: response.statusCode, reply, error, ms: elapsed(), body: response.body.slice(0, MAX_BODY) };
    } catch (error) {
      const reason = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${push.timeout}s` : describe(error);
      return { status: undefined, reply: undefined, error: reason, ms: elapsed() };
    }
  }
}

/**
 * A passive reply as WeChat reads one: addressed to the user from the account, a text or one news item; in
 * compatible and safe modes encrypted, with a `MsgSignature` that must match. Anything else is undefined.
 */
function readPassiveReply(push: ResolvedPush, accountId: string, openid: string, body: string): PassiveReply | undefined {
  try {
    let xml = body;
    let fields = parseFlatXml(xml);
    if (push.mode !== 'plaintext' && push.cipher !== undefined) {
      const { Encrypt: encrypted, MsgSignature: signature, TimeStamp: timestamp, Nonce: nonce } = fields;
      if (encrypted === undefined || signature === undefined || timestamp === undefined || nonce === undefined) return undefined;
      if (!signaturesEqual(messageSignature(push.token, timestamp, nonce, encrypted), signature)) return undefined;
      xml = push.cipher.decrypt(encrypted);
      fields = parseFlatXml(xml);
    }
    if (fields.ToUserName !== openid || fields.FromUserName !== accountId || !/^\d+$/.test(fields.CreateTime ?? '')) return undefined;
    if (fields.MsgType === 'text' && fields.Content) return { msgType: 'text', content: fields.Content };
    if (fields.MsgType === 'news' && fields.ArticleCount === '1') {
      const item = /<Articles><item>([\s\S]*)<\/item><\/Articles>/.exec(xml);
      const article = item === null ? undefined : parseFlatXml(`<xml>${item[1]}</xml>`);
      if (article?.Title && article.Url) return { msgType: 'news', title: article.Title, description: article.Description ?? '', url: article.Url };
    }
    return undefined;
  } catch {
    return undefined;
  }
}

function withQuery(base: string, query: Record<string, string>): string {
  const url = new URL(base);
  for (const [name, value] of Object.entries(query)) url.searchParams.append(name, value);
  return url.href;
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : 'failed';
}
