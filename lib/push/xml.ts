/**
 * WeChat's flat push XML: `<xml>` holding one level of `<Name>value</Name>` children. A writer for the
 * pushes we send and a small hand-written reader for the ones we receive; no XML library, so there is no
 * entity expansion, no external fetch and nothing slower than one pass over the input.
 */

/** The largest input the reader accepts; WeChat's pushes are a few kilobytes. */
const MAX_BYTES = 1024 * 1024;
const ELEMENT_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** The input is not flat XML we accept. The message is short and quotes at most a tag name. */
export class PushXmlError extends Error {
  /** A stable machine code. */
  readonly code = 'ERR_WECHAT_PUSH_XML';
}
PushXmlError.prototype.name = 'PushXmlError';

/**
 * Writes WeChat's flat XML, in the fields' insertion order: strings as CDATA, numbers as bare text.
 * @throws TypeError for an element name outside `[A-Za-z][A-Za-z0-9_]*`, a non-finite number or another type.
 */
export function buildXml(fields: Record<string, string | number>): string {
  let out = '<xml>';
  for (const [name, value] of Object.entries(fields)) {
    if (!ELEMENT_NAME.test(name)) throw new TypeError(`invalid XML element name: ${JSON.stringify(name)}`);
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new TypeError(`XML element ${name} must be a finite number`);
      out += `<${name}>${String(value)}</${name}>`;
    } else if (typeof value === 'string') {
      // `]]>` would end the section early: end it after `]]`, and start a new one for the `>`.
      out += `<${name}><![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]></${name}>`;
    } else {
      throw new TypeError(`XML element ${name} must be a string or a number`);
    }
  }
  return out + '</xml>';
}

/** A tag name for an error message, cut short: it comes from the input. */
function show(name: string): string {
  return name.length > 32 ? `${name.slice(0, 32)}…` : name;
}

function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95; // A-Z a-z _
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 58; // 0-9 - . :
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function decodeEntity(entity: string): string {
  const named = NAMED_ENTITIES[entity];
  if (named !== undefined) return named;
  let code = Number.NaN;
  if (/^#x[0-9A-Fa-f]+$/.test(entity)) code = Number.parseInt(entity.slice(2), 16);
  else if (/^#[0-9]+$/.test(entity)) code = Number.parseInt(entity.slice(1), 10);
  // XML allows no NUL and no lone surrogates, and nothing past Unicode's last code point.
  if (!(code >= 1 && code <= 0x10ffff) || (code >= 0xd800 && code <= 0xdfff)) {
    throw new PushXmlError('invalid entity in text');
  }
  return String.fromCodePoint(code);
}

/** Decodes the predefined and numeric entities of plain text; any other `&` is malformed. */
function decodeText(text: string): string {
  let amp = text.indexOf('&');
  if (amp === -1) return text;
  let out = '';
  let last = 0;
  while (amp !== -1) {
    // Still one pass: each search starts past the last entity, and a bad one ends the parse.
    const semi = text.indexOf(';', amp + 1);
    if (semi === -1) throw new PushXmlError('invalid entity in text');
    out += text.slice(last, amp) + decodeEntity(text.slice(amp + 1, semi));
    last = semi + 1;
    amp = text.indexOf('&', last);
  }
  return out + text.slice(last);
}

/**
 * Reads WeChat's flat XML into its children's names and text.
 *
 * Accepts an XML declaration, comments, whitespace between elements, entities in plain text and text made
 * of several CDATA sections. A child that holds elements of its own (as some menu events do) is left out of
 * the result rather than rejected, so such a push still parses; its inner elements must still be well formed.
 * Rejects DOCTYPE and every other `<!` declaration (so no entity can be declared, let alone expanded),
 * attributes, a repeated child name (which of two `FromUserName`s would be the sender?), text directly in
 * `<xml>`, and anything over 1 MiB. One pass: every search moves forward and none is retried.
 * @throws PushXmlError on malformed or refused input.
 */
export function parseFlatXml(xml: string): Record<string, string> {
  if (typeof xml !== 'string') throw new PushXmlError('XML input must be a string');
  // A string's UTF-8 form is never shorter than its UTF-16 length, so the cheap check comes first.
  if (xml.length > MAX_BYTES || Buffer.byteLength(xml, 'utf8') > MAX_BYTES) {
    throw new PushXmlError('XML input is over 1 MiB');
  }

  const entries: Array<[string, string]> = [];
  const seen = new Set<string>();
  const open: string[] = []; // names of the elements open at this point, the root first
  let rootSeen = false;
  let child = ''; // the direct child of <xml> being read
  let value = '';
  let nested = false; // whether that child holds elements of its own
  let i = xml.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte order mark is no content

  /** Reads a tag name at `i`, moving past it. */
  const readName = (): string => {
    const start = i;
    if (!isNameStart(xml.charCodeAt(i))) throw new PushXmlError('invalid tag');
    while (i < xml.length && isNameChar(xml.charCodeAt(i))) i++;
    return xml.slice(start, i);
  };
  const skipSpace = (): void => {
    while (i < xml.length && isSpace(xml.charCodeAt(i))) i++;
  };
  /** Adds character data, wherever it stands; plain text is still encoded, CDATA is not. */
  const addText = (text: string, isCdata: boolean): void => {
    if (open.length === 2) {
      value += isCdata ? text : decodeText(text);
    } else if (open.length < 2 && (isCdata || /[^ \t\r\n]/.test(text))) {
      throw new PushXmlError(open.length === 0 ? 'text outside the <xml> root' : 'text directly inside <xml>');
    }
    // Deeper text belongs to a nested element we leave out; it was still scanned once, which is all we need.
  };

  while (i < xml.length) {
    if (xml.charCodeAt(i) !== 60 /* < */) {
      const end = xml.indexOf('<', i);
      const stop = end === -1 ? xml.length : end;
      addText(xml.slice(i, stop), false);
      i = stop;
      continue;
    }
    if (xml.startsWith('<![CDATA[', i)) {
      const end = xml.indexOf(']]>', i + 9);
      if (end === -1) throw new PushXmlError('unclosed CDATA section');
      addText(xml.slice(i + 9, end), true);
      i = end + 3;
      continue;
    }
    if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i + 4);
      if (end === -1) throw new PushXmlError('unclosed comment');
      i = end + 3;
      continue;
    }
    if (xml.startsWith('<!', i)) {
      // DOCTYPE, ENTITY and the like: the door to entity expansion ("billion laughs"), so shut.
      throw new PushXmlError('DOCTYPE and entity declarations are not allowed');
    }
    if (xml.startsWith('<?', i)) {
      if (open.length > 0) throw new PushXmlError('processing instruction inside <xml>');
      const end = xml.indexOf('?>', i + 2);
      if (end === -1) throw new PushXmlError('unclosed processing instruction');
      i = end + 2;
      continue;
    }
    if (xml.charCodeAt(i + 1) === 47 /* / */) {
      i += 2;
      const name = readName();
      skipSpace();
      if (xml.charCodeAt(i) !== 62 /* > */) throw new PushXmlError(`malformed closing tag </${show(name)}>`);
      i++;
      const expected = open.pop();
      if (expected === undefined) throw new PushXmlError(`unexpected closing tag </${show(name)}>`);
      if (expected !== name) {
        throw new PushXmlError(`closing tag </${show(name)}> does not match <${show(expected)}>`);
      }
      if (open.length === 1 && !nested) entries.push([child, value]);
      continue;
    }

    i++;
    const name = readName();
    skipSpace();
    const selfClosing = xml.startsWith('/>', i);
    if (!selfClosing && xml.charCodeAt(i) !== 62 /* > */) {
      throw new PushXmlError(`unsupported attribute or malformed tag <${show(name)}>`);
    }
    i += selfClosing ? 2 : 1;
    if (open.length === 0) {
      if (rootSeen) throw new PushXmlError('more than one root element');
      if (name !== 'xml') throw new PushXmlError(`root element must be <xml>, not <${show(name)}>`);
      rootSeen = true;
    } else if (open.length === 1) {
      if (seen.has(name)) throw new PushXmlError(`repeated element <${show(name)}>`);
      seen.add(name);
      child = name;
      value = '';
      nested = false;
      if (selfClosing) entries.push([name, '']);
    } else {
      nested = true;
    }
    if (!selfClosing) open.push(name);
  }

  if (!rootSeen) throw new PushXmlError('no <xml> root element');
  const unclosed = open.pop();
  if (unclosed !== undefined) throw new PushXmlError(`unclosed element <${show(unclosed)}>`);
  // fromEntries defines own properties, so a child named __proto__ is data, not a new prototype.
  return Object.fromEntries(entries);
}
