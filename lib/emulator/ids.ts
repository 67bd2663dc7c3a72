/**
 * The emulator's identifiers, shaped like WeChat's: 28-character openids starting with `o` and a prefix shared
 * by one account, `86_…` tokens, 32-character codes, and errmsg `rid` suffixes. With a seed, openids and
 * unionids are a function of the seed, the AppID and the nickname, so tests can write them down.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function base64url(input: string | Buffer): string {
  return (typeof input === 'string' ? createHash('sha256').update(input).digest() : input).toString('base64url');
}

function randomText(length: number, alphabet = BASE62): string {
  let text = '';
  for (let i = 0; i < length; i++) text += alphabet[randomInt(alphabet.length)];
  return text;
}

export class IdFactory {
  readonly #appId: string;
  readonly #seed: string | undefined;
  /** Real openids of one account share their first six characters, such as `oLVPpj`. */
  readonly #openidPrefix: string;

  constructor(appId: string, seed: string | undefined) {
    this.#appId = appId;
    this.#seed = seed;
    this.#openidPrefix = `o${base64url(`openid:${appId}`).replace(/[-_]/g, 'x').slice(0, 5)}`;
  }

  /** 28 characters of `[A-Za-z0-9_-]`, starting with the account's prefix. */
  openid(nickname: string): string {
    const tail = this.#seed === undefined ? base64url(randomBytes(24)) : base64url(`${this.#seed}:${this.#appId}:${nickname}`);
    return `${this.#openidPrefix}${tail.slice(0, 22)}`;
  }

  /** The same user across the Open Platform: also 28 characters, another prefix. */
  unionid(openid: string): string {
    const tail = this.#seed === undefined ? base64url(randomBytes(24)) : base64url(`union:${this.#seed}:${openid}`);
    return `o6_bm${tail.slice(0, 23)}`;
  }

  /** The one virtual openid of this account's snapshot-page visitors. */
  snapshotOpenid(): string {
    return `${this.#openidPrefix}${base64url(`snapshot:${this.#appId}`).slice(0, 22)}`;
  }

  /** A global or OAuth token: `86_` and an opaque tail of 130 characters, like real ones. */
  token(): string {
    return `86_${base64url(randomBytes(98))}`;
  }

  /** An OAuth code: 32 characters, different every time. */
  code(): string {
    return randomText(32);
  }

  /** A push nonce: digits, as WeChat sends. */
  nonce(): string {
    return String(randomInt(100_000_000, 2_000_000_000));
  }
}

/** The `rid` WeChat appends to errmsg: unix seconds in hex, then two random groups. */
export function rid(unixSeconds: number): string {
  return `${unixSeconds.toString(16).padStart(8, '0')}-${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}`;
}
