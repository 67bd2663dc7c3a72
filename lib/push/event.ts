/**
 * The follow/unfollow event push of an Official Account, as WeChat sends it: the plain XML, and the
 * safe-mode envelope that carries its encrypted form.
 */
import { buildXml } from './xml.js';

/** A user followed (`subscribe`) or unfollowed (`unsubscribe`) the account. */
export interface SubscriptionEvent {
  /** The account's original id (`gh_…`). */
  toUserName: string;
  /** The user's openid. */
  fromUserName: string;
  /** When it happened, in unix seconds. */
  createTime: number;
  event: 'subscribe' | 'unsubscribe';
  /** For a follow through a parametric QR code, `qrscene_` and the scene; absent otherwise. */
  eventKey?: string;
}

/**
 * The plain XML of a follow/unfollow push, with WeChat's element order. With `encrypt`, the compatible-mode
 * body (兼容模式): the plain fields and the `Encrypt` element side by side.
 * @throws TypeError for an unknown event or a createTime that is not a whole non-negative number.
 */
export function buildEventXml(event: SubscriptionEvent, encrypt?: string): string {
  // The type says so, but callers may pass parsed JSON; a wrong push is worse than an early throw.
  if (event.event !== 'subscribe' && event.event !== 'unsubscribe') {
    throw new TypeError('event must be "subscribe" or "unsubscribe"');
  }
  if (!Number.isSafeInteger(event.createTime) || event.createTime < 0) {
    throw new TypeError('createTime must be a whole number of unix seconds');
  }
  return buildXml({
    ToUserName: event.toUserName,
    FromUserName: event.fromUserName,
    CreateTime: event.createTime,
    MsgType: 'event',
    Event: event.event,
    // WeChat sends an empty EventKey on a plain follow or unfollow, not none.
    EventKey: event.eventKey ?? '',
    ...(encrypt === undefined ? {} : { Encrypt: encrypt }),
  });
}

/**
 * The body of a safe-mode push: the account's original id and the encrypted message (from
 * `PushCipher.encrypt`). Its `msg_signature` is computed over the same `encrypt` value.
 */
export function buildEncryptedEnvelope(toUserName: string, encrypt: string): string {
  return buildXml({ ToUserName: toUserName, Encrypt: encrypt });
}
