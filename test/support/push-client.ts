/**
 * WeChat's side of a push, by hand: signed queries and bodies for each mode, for the tests that send what the
 * emulator never would (forgeries, replays, odd XML).
 */
import { buildEncryptedEnvelope, buildXml, messageSignature, PushCipher, pushSignature } from '../../lib/push/index.js';

export const PUSH_TOKEN = 'pushTokenForTests42';
export const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
export const OTHER_AES_KEY = 'ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkj';

export type Mode = 'plaintext' | 'compatible' | 'safe';

export interface SignedPush {
  /** The query string, without `?`. */
  query: string;
  body: string;
}

export interface PushSpec {
  mode: Mode;
  appId: string;
  /** The plaintext XML of the push. */
  xml: string;
  token?: string;
  key?: string;
  /** Unix seconds; default now. */
  timestamp?: number;
  nonce?: string;
}

/** A push signed (and encrypted) as WeChat sends it in `mode`. */
export function signedPush(spec: PushSpec): SignedPush {
  const token = spec.token ?? PUSH_TOKEN;
  const timestamp = String(spec.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = spec.nonce ?? String(Math.floor(Math.random() * 1e9));
  const query = new URLSearchParams({ signature: pushSignature(token, timestamp, nonce), timestamp, nonce, openid: 'o' });
  if (spec.mode === 'plaintext') return { query: query.toString(), body: spec.xml };
  const encrypt = new PushCipher(spec.key ?? AES_KEY, spec.appId).encrypt(spec.xml);
  query.set('encrypt_type', 'aes');
  query.set('msg_signature', messageSignature(token, timestamp, nonce, encrypt));
  const body =
    spec.mode === 'safe'
      ? buildEncryptedEnvelope('gh_test', encrypt)
      : spec.xml.replace(/<\/xml>$/, `<Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`);
  return { query: query.toString(), body };
}

/** The plain XML of an event push. */
export function eventXml(
  openid: string,
  event: string,
  extra: Record<string, string | number> = {},
  createTime = Math.floor(Date.now() / 1000),
): string {
  return buildXml({ ToUserName: 'gh_test', FromUserName: openid, CreateTime: createTime, MsgType: 'event', Event: event, EventKey: '', ...extra });
}

/** A signed URL check (GET). */
export function urlCheckQuery(echostr: string, token = PUSH_TOKEN, timestamp = Math.floor(Date.now() / 1000), nonce = '1514711492'): string {
  return new URLSearchParams({ signature: pushSignature(token, String(timestamp), nonce), echostr, timestamp: String(timestamp), nonce }).toString();
}
