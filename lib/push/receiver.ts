/**
 * The checks of WeChat's message push (服务器配置), framework-free: the URL check's `signature`, a post's
 * `signature` and (encrypted) `msg_signature`, the timestamp window, decryption and the XML, in that order.
 * The mode is the site's configuration, never the request's: a site in safe mode refuses a plaintext post
 * whatever its query says, and in compatible mode only the decrypted part is read.
 *
 * The token and the key live in private fields only: neither `util.inspect`, `JSON.stringify` nor a log line
 * of the receiver shows them.
 */
import { randomBytes } from 'node:crypto';
import { PushCipher, PushDecryptError } from './crypto.js';
import { PushFormatError, readPush, type WeChatPush } from './message.js';
import { messageSignature, pushSignature, signaturesEqual } from './signature.js';
import { buildXml, parseFlatXml, PushXmlError } from './xml.js';

export type PushMode = 'plaintext' | 'compatible' | 'safe';

/** Why a request is turned away: the status and a short text for the answer, which quotes nothing it was sent. */
export interface PushRefusal {
  readonly ok: false;
  readonly status: 400 | 401 | 403;
  readonly reason: string;
}

export type UrlCheck = { readonly ok: true; readonly echostr: string } | PushRefusal;
export type OpenedPush = { readonly ok: true; readonly push: WeChatPush } | PushRefusal;

/** The query of a push request: any value may be missing, repeated (an array) or anything else. */
export type PushQuery = Readonly<Record<string, unknown>>;

export interface PushReceiverOptions {
  token: string;
  mode: PushMode;
  /** Required in compatible and safe modes. */
  encodingAESKey?: string;
  appId: string;
  /** Seconds a request's `timestamp` may be off our clock, either way. */
  timestampWindow: number;
}

const TIMESTAMP = /^\d{1,12}$/;
// WeChat's echostr is a long number; nothing but letters and digits is echoed (even a signed request must not
// turn the endpoint into a reflector of markup).
const ECHOSTR = /^[A-Za-z0-9_-]{1,256}$/;
/** One answer for every failure past the ciphertext's signature: no padding oracle, no appid oracle. */
const UNREADABLE = 'the encrypted push could not be read';

export class PushReceiver {
  readonly mode: PushMode;
  readonly timestampWindow: number;
  readonly #token: string;
  readonly #cipher: PushCipher | undefined;

  /** @throws TypeError for a malformed key or a mode that needs one without it; the message never quotes either. */
  constructor(options: PushReceiverOptions) {
    this.mode = options.mode;
    this.timestampWindow = options.timestampWindow;
    this.#token = options.token;
    if (options.mode !== 'plaintext' && options.encodingAESKey === undefined) throw new TypeError(`${options.mode} mode needs an encodingAESKey`);
    this.#cipher = options.encodingAESKey === undefined ? undefined : new PushCipher(options.encodingAESKey, options.appId);
  }

  /** The MP console's URL check (GET): plaintext in every mode, since WeChat never encrypts `echostr`. */
  checkUrl(query: PushQuery, nowSeconds: number): UrlCheck {
    const refused = this.#checkSignature(query, nowSeconds);
    if (refused !== undefined) return refused;
    const { echostr } = query;
    if (typeof echostr !== 'string' || !ECHOSTR.test(echostr)) return refuse(400, 'the URL check has no echostr');
    return { ok: true, echostr };
  }

  /** A pushed event or message (POST): authenticated, in the window, decrypted and read. */
  open(query: PushQuery, body: string, nowSeconds: number): OpenedPush {
    const refused = this.#checkSignature(query, nowSeconds);
    if (refused !== undefined) return refused;
    let fields: Record<string, string>;
    try {
      fields = parseFlatXml(body);
    } catch (error) {
      if (error instanceof PushXmlError) return refuse(400, 'the body is not the flat XML WeChat sends');
      throw error;
    }
    if (this.#cipher !== undefined && this.mode !== 'plaintext') {
      const { Encrypt: encrypted } = fields;
      if (encrypted === undefined || encrypted === '') return refuse(400, `the push is not encrypted, but the site is in ${this.mode} mode`);
      const { timestamp, nonce, msg_signature: signature } = query;
      // The ciphertext's own signature comes first: nothing unauthenticated reaches the decryption.
      if (
        typeof signature !== 'string' ||
        !signaturesEqual(messageSignature(this.#token, timestamp as string, nonce as string, encrypted), signature)
      ) {
        return refuse(401, 'the msg_signature does not match');
      }
      try {
        fields = parseFlatXml(this.#cipher.decrypt(encrypted));
      } catch (error) {
        if (error instanceof PushDecryptError || error instanceof PushXmlError) return refuse(400, UNREADABLE);
        throw error;
      }
    }
    try {
      return { ok: true, push: readPush(fields) };
    } catch (error) {
      if (error instanceof PushFormatError) return refuse(400, error.message);
      throw error;
    }
  }

  /** The answer's body for a reply's XML: as it is in plaintext mode, encrypted and signed otherwise. */
  seal(replyXml: string, nowSeconds: number): string {
    if (this.#cipher === undefined || this.mode === 'plaintext') return replyXml;
    const encrypted = this.#cipher.encrypt(replyXml);
    const timestamp = String(nowSeconds);
    const nonce = String(randomBytes(4).readUInt32BE(0));
    return buildXml({
      Encrypt: encrypted,
      MsgSignature: messageSignature(this.#token, timestamp, nonce, encrypted),
      TimeStamp: nowSeconds,
      Nonce: nonce,
    });
  }

  /** Shows the mode only. */
  toJSON(): { mode: PushMode } {
    return { mode: this.mode };
  }

  /** `signature` over token, timestamp and nonce, compared in constant time; then the timestamp's window. */
  #checkSignature(query: PushQuery, nowSeconds: number): PushRefusal | undefined {
    const { signature, timestamp, nonce } = query;
    if (typeof signature !== 'string' || typeof timestamp !== 'string' || typeof nonce !== 'string') {
      return refuse(401, 'the request has no signature, timestamp and nonce');
    }
    if (!signaturesEqual(pushSignature(this.#token, timestamp, nonce), signature)) return refuse(401, 'the signature does not match');
    // The signature covers the query only: without a window, one leaked URL would let anyone post any XML for ever.
    if (!TIMESTAMP.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > this.timestampWindow) {
      return refuse(403, 'the timestamp is outside the accepted window');
    }
    return undefined;
  }
}

function refuse(status: PushRefusal['status'], reason: string): PushRefusal {
  return { ok: false, status, reason };
}
