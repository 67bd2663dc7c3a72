/**
 * The passive reply (被动回复): the message a push's answer may carry back to the user, within WeChat's 5 seconds.
 * For a new follower, a link back to the page they came from.
 */
import type { WeChatPush } from './message.js';
import { buildXml } from './xml.js';

/** A text message (which may hold `<a href="https://…">links</a>`), or one news card with a link. */
export type PushReply =
  | { readonly text: string }
  | { readonly news: { readonly title: string; readonly description?: string; readonly url: string; readonly picUrl?: string } };

/** WeChat refuses a text reply over 2,048 bytes, and a news title over 64 characters shows cut. */
const MAX_TEXT_BYTES = 2048;
const MAX_TITLE = 64;
const MAX_DESCRIPTION = 512;

/**
 * The reply's XML, addressed back to the push's sender from the account.
 * @throws TypeError when the reply is not one WeChat would show.
 */
export function buildReplyXml(push: WeChatPush, reply: PushReply, nowSeconds: number): string {
  const head = { ToUserName: push.openid, FromUserName: push.toUserName, CreateTime: nowSeconds };
  if (reply !== null && typeof reply === 'object' && 'text' in reply) {
    const { text } = reply;
    if (typeof text !== 'string' || text.trim() === '') throw new TypeError('a text reply needs a non-empty text');
    if (Buffer.byteLength(text, 'utf8') > MAX_TEXT_BYTES) throw new TypeError(`a text reply is at most ${MAX_TEXT_BYTES} bytes`);
    return buildXml({ ...head, MsgType: 'text', Content: text });
  }
  if (reply !== null && typeof reply === 'object' && 'news' in reply && reply.news !== null && typeof reply.news === 'object') {
    const { title, description = '', url, picUrl = '' } = reply.news;
    if (typeof title !== 'string' || title.trim() === '' || title.length > MAX_TITLE)
      throw new TypeError(`a news reply needs a title of 1 to ${MAX_TITLE} characters`);
    if (typeof description !== 'string' || description.length > MAX_DESCRIPTION)
      throw new TypeError(`a news description is at most ${MAX_DESCRIPTION} characters`);
    requireWebUrl('url', url);
    if (picUrl !== '') requireWebUrl('picUrl', picUrl);
    // One card: WeChat shows a single article in a passive reply since 2018. The item is written by hand, as the
    // flat writer writes one level only; every value goes through it as CDATA.
    const item = buildXml({ Title: title, Description: description, PicUrl: picUrl, Url: url })
      .replace(/^<xml>/, '<item>')
      .replace(/<\/xml>$/, '</item>');
    return buildXml({ ...head, MsgType: 'news', ArticleCount: 1 }).replace(/<\/xml>$/, `<Articles>${item}</Articles></xml>`);
  }
  throw new TypeError('a reply is { text } or { news: { title, url } }');
}

function requireWebUrl(name: string, value: unknown): void {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) throw new TypeError(`a news ${name} must be an http(s) URL`);
}
