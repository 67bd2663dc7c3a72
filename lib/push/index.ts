/** WeChat Official Account message push ("服务器配置"), framework-free: signatures, safe mode, XML, events. */
export { messageSignature, pushSignature, signaturesEqual } from './signature.js';
export { PushCipher, PushDecryptError } from './crypto.js';
export { buildXml, parseFlatXml, PushXmlError } from './xml.js';
export { buildEncryptedEnvelope, buildEventXml, type SubscriptionEvent } from './event.js';
