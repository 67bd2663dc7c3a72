/**
 * WeChat's "safe mode" message encryption (WXBizMsgCrypt): AES-256-CBC keyed by the EncodingAESKey, over
 * 16 random bytes + a 4-byte big-endian length + the message + the appid, PKCS#7-padded to 32-byte blocks.
 * Used both to send pushes (the emulator) and to read them (an endpoint).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Safe mode pads to 32-byte blocks, not AES's 16: WeChat's reference code does so, and we must match it. */
const BLOCK = 32;
const RANDOM_LENGTH = 16;
const LENGTH_FIELD = 4;
const HEADER = RANDOM_LENGTH + LENGTH_FIELD;
const KEY_PATTERN = /^[A-Za-z0-9+/]{43}$/;
// Padded standard base64, as WeChat sends it; linear-time (no nested quantifiers).
const BASE64_PATTERN = /^[A-Za-z0-9+/]+={0,2}$/;
// Rejects invalid UTF-8 rather than silently replacing it.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A safe-mode message could not be decrypted: bad base64, bad padding, a length that does not fit, or
 * another appid. The message says which, and never holds the key or the plaintext.
 *
 * An endpoint should answer every one of these the same way (and check `msg_signature` first), so a
 * sender cannot use the difference as a padding oracle.
 */
export class PushDecryptError extends Error {
  /** A stable machine code. */
  readonly code = 'ERR_WECHAT_PUSH_DECRYPT';
}
PushDecryptError.prototype.name = 'PushDecryptError';

/**
 * Encrypts and decrypts safe-mode pushes for one Official Account. The key lives in private fields only,
 * so neither `util.inspect` nor `JSON.stringify` nor a log line of the object shows it.
 */
export class PushCipher {
  /** The appid each message carries at its end. Not a secret. */
  readonly appId: string;
  readonly #key: Buffer;
  readonly #iv: Buffer;

  /**
   * @param encodingAESKey the 43-character EncodingAESKey of the account's server configuration.
   * @param appId the account's appid, written into (and required in) every message.
   * @throws TypeError when either is malformed; the message never quotes the key.
   */
  constructor(encodingAESKey: string, appId: string) {
    if (typeof encodingAESKey !== 'string' || !KEY_PATTERN.test(encodingAESKey)) {
      throw new TypeError('encodingAESKey must be 43 characters of base64');
    }
    const key = Buffer.from(encodingAESKey + '=', 'base64');
    // Cannot happen after the pattern check, but AES-256 with a short key would fail far from the cause.
    if (key.length !== 32) throw new TypeError('encodingAESKey must decode to 32 bytes');
    if (typeof appId !== 'string' || appId.length === 0) {
      throw new TypeError('appId must be a non-empty string');
    }
    this.#key = key;
    // WeChat uses the first 16 bytes of the key as the IV, so every message shares it; the random prefix
    // is what keeps equal messages from encrypting alike.
    this.#iv = key.subarray(0, 16);
    this.appId = appId;
  }

  /**
   * Encrypts a message (usually a push's XML) for the `Encrypt` element.
   * @param random the 16 random leading bytes; leave it out outside tests.
   * @returns base64.
   */
  encrypt(message: string, random: Buffer = randomBytes(RANDOM_LENGTH)): string {
    if (!Buffer.isBuffer(random) || random.length !== RANDOM_LENGTH) {
      throw new TypeError(`random must be a Buffer of ${RANDOM_LENGTH} bytes`);
    }
    const body = Buffer.from(message, 'utf8');
    const length = Buffer.alloc(LENGTH_FIELD);
    length.writeUInt32BE(body.length, 0);
    const plain = Buffer.concat([random, length, body, Buffer.from(this.appId, 'utf8')]);
    // PKCS#7 to 32-byte blocks: always 1..32 bytes, so a whole block of 32 when already aligned.
    const pad = BLOCK - (plain.length % BLOCK);
    const cipher = createCipheriv('aes-256-cbc', this.#key, this.#iv);
    // Node's own padding would be PKCS#7 to 16 bytes, which is not what WeChat expects.
    cipher.setAutoPadding(false);
    return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
  }

  /**
   * Decrypts the `Encrypt` value of a push and checks it belongs to this account.
   * @returns the message (usually a push's XML).
   * @throws PushDecryptError on anything malformed or meant for another appid.
   */
  decrypt(encrypted: string): string {
    if (typeof encrypted !== 'string' || encrypted.length % 4 !== 0 || !BASE64_PATTERN.test(encrypted)) {
      throw new PushDecryptError('encrypted message is not base64');
    }
    const data = Buffer.from(encrypted, 'base64');
    if (data.length === 0 || data.length % 16 !== 0) {
      throw new PushDecryptError('encrypted message is not a whole number of AES blocks');
    }

    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-cbc', this.#key, this.#iv);
      decipher.setAutoPadding(false);
      plain = Buffer.concat([decipher.update(data), decipher.final()]);
    } catch {
      // Node's error could name internals; ours says what failed and nothing else.
      throw new PushDecryptError('encrypted message could not be decrypted');
    }

    const pad = plain[plain.length - 1] ?? 0;
    if (pad < 1 || pad > BLOCK || pad > plain.length) throw new PushDecryptError('invalid padding');
    for (let i = plain.length - pad; i < plain.length; i++) {
      if (plain[i] !== pad) throw new PushDecryptError('invalid padding');
    }
    const content = plain.subarray(0, plain.length - pad);

    if (content.length < HEADER) throw new PushDecryptError('decrypted message is too short');
    const length = content.readUInt32BE(RANDOM_LENGTH);
    if (length > content.length - HEADER) throw new PushDecryptError('message length field does not fit');

    const appId = content.subarray(HEADER + length);
    // Not secret, so a plain compare; the appid read is not quoted, as it is part of the plaintext.
    if (!appId.equals(Buffer.from(this.appId, 'utf8'))) {
      throw new PushDecryptError('message is for another appid');
    }
    try {
      return utf8.decode(content.subarray(HEADER, HEADER + length));
    } catch {
      throw new PushDecryptError('message is not valid UTF-8');
    }
  }
}
