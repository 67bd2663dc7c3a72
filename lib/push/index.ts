/** WeChat Official Account message push ("服务器配置"), framework-free: signatures, safe mode, XML, events. */
export { messageSignature, pushSignature, signaturesEqual } from './signature.js';
export { PushCipher, PushDecryptError } from './crypto.js';
export { buildXml, parseFlatXml, PushXmlError } from './xml.js';
export { buildEncryptedEnvelope, buildEventXml, type SubscriptionEvent } from './event.js';
export { PushFormatError, pushIdentity, readPush, type WeChatPush } from './message.js';
export { buildReplyXml, type PushReply } from './reply.js';
export {
  PushReceiver,
  type OpenedPush,
  type PushMode,
  type PushQuery,
  type PushReceiverOptions,
  type PushRefusal,
  type UrlCheck,
} from './receiver.js';
