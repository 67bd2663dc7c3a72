/**
 * A push as the library hands it on: WeChat's flat fields, checked and named. `readPush` accepts what WeChat
 * sends (events and messages alike) and refuses what it never sends, so that a hook can trust the shape.
 */
import { createHash } from 'node:crypto';
import { OPENID_PATTERN } from '../wechat/shapes.js';

/** A push from WeChat: an event (`msgType: 'event'`) or a user's message. */
export interface WeChatPush {
  /** The account's original id (`gh_…`). */
  readonly toUserName: string;
  /** The user's openid (WeChat's `FromUserName`). */
  readonly openid: string;
  /** When it happened, in unix seconds. */
  readonly createTime: number;
  /** `event`, or a message's type: `text`, `image`, `voice`, `video`, `location`, `link`… */
  readonly msgType: string;
  /** For an event: `subscribe`, `unsubscribe`, `SCAN`, `CLICK`, `VIEW`… */
  readonly event: string | undefined;
  /** The event's key, as sent (`qrscene_…` on a follow through a parametric QR code): a string, never a number. */
  readonly eventKey: string | undefined;
  /**
   * The parametric QR code's scene: `EventKey` without `qrscene_` on a `subscribe`, `EventKey` on a `SCAN`;
   * undefined for anything else.
   */
  readonly scene: string | undefined;
  /** The QR code's ticket, on a follow or scan through one. */
  readonly ticket: string | undefined;
  /** A message's id; events have none. */
  readonly msgId: string | undefined;
  /** Every field as WeChat sent it, for the events and messages this type does not name. */
  readonly fields: Readonly<Record<string, string>>;
}

/** The push's fields are not a push we accept. The message is short and quotes nothing from the input. */
export class PushFormatError extends Error {
  readonly code = 'ERR_WECHAT_PUSH_FORMAT';
}
PushFormatError.prototype.name = 'PushFormatError';

// Names WeChat never sends and that mean something to JavaScript objects: such a push is somebody's probe.
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
const DIGITS = /^\d{1,12}$/;
const QR_PREFIX = 'qrscene_';

/**
 * The fields of a push (from `parseFlatXml`), checked.
 * @throws PushFormatError when a required field is missing or malformed, or a name is reserved.
 */
export function readPush(fields: Record<string, string>): WeChatPush {
  for (const name of Object.keys(fields)) {
    if (RESERVED_NAMES.has(name)) throw new PushFormatError('the push has a field name WeChat never sends');
  }
  const { ToUserName: toUserName, FromUserName: openid, CreateTime: createTime, MsgType: msgType } = fields;
  if (!toUserName) throw new PushFormatError('the push has no ToUserName');
  if (openid === undefined || !OPENID_PATTERN.test(openid)) throw new PushFormatError('the push has no FromUserName that is an openid');
  if (createTime === undefined || !DIGITS.test(createTime)) throw new PushFormatError('the push has no CreateTime in unix seconds');
  if (!msgType) throw new PushFormatError('the push has no MsgType');
  const event = msgType === 'event' ? fields.Event : undefined;
  if (msgType === 'event' && !event) throw new PushFormatError('the event push has no Event');
  const eventKey = fields.EventKey;
  return Object.freeze({
    toUserName,
    openid,
    createTime: Number(createTime),
    msgType,
    event,
    eventKey,
    scene: sceneOf(event, eventKey),
    ticket: fields.Ticket || undefined,
    msgId: fields.MsgId || undefined,
    fields: Object.freeze({ ...fields }),
  });
}

function sceneOf(event: string | undefined, eventKey: string | undefined): string | undefined {
  if (eventKey === undefined || eventKey === '') return undefined;
  if (event === 'subscribe')
    return eventKey.startsWith(QR_PREFIX) && eventKey.length > QR_PREFIX.length ? eventKey.slice(QR_PREFIX.length) : undefined;
  return event === 'SCAN' ? eventKey : undefined;
}

/**
 * What tells one push from another, and a retry from a new push: a message's `MsgId`; for an event, the user,
 * the time, the event and its key (WeChat's advice is `FromUserName + CreateTime`; the event and key tell a
 * follow from an unfollow in the same second). Hashed: the id becomes a store key, and holds an openid.
 */
export function pushIdentity(push: WeChatPush): string {
  const parts =
    push.msgId !== undefined ? ['msg', push.msgId] : ['event', push.openid, String(push.createTime), push.event ?? '', push.eventKey ?? ''];
  // Lengths first, so that no two lists of parts join into the same string.
  return createHash('sha256')
    .update(parts.map((part) => `${part.length}:${part}`).join('|'))
    .digest('base64url');
}
