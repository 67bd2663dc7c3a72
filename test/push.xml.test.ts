import { expect } from 'chai';
import { PushXmlError, buildXml, parseFlatXml } from '../lib/push/index.js';

const REFERENCE =
  '<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[OPENID]]></FromUserName>' +
  '<CreateTime>1714037059</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>' +
  '<EventKey><![CDATA[]]></EventKey></xml>';

const REFERENCE_FIELDS = {
  ToUserName: 'gh_account',
  FromUserName: 'OPENID',
  CreateTime: '1714037059',
  MsgType: 'event',
  Event: 'subscribe',
  EventKey: '',
};

function xmlError(input: string): PushXmlError {
  try {
    parseFlatXml(input);
  } catch (error) {
    expect(error).to.be.instanceOf(PushXmlError);
    return error as PushXmlError;
  }
  expect.fail(`parseFlatXml should have thrown for ${input.slice(0, 60)}`);
}

describe('push XML', () => {
  describe('buildXml', () => {
    it('writes the reference event, strings as CDATA and numbers bare, in insertion order', () => {
      expect(buildXml({ ...REFERENCE_FIELDS, CreateTime: 1714037059 })).to.equal(REFERENCE);
    });

    it('keeps insertion order rather than sorting', () => {
      expect(buildXml({ B: 'b', A: 1 })).to.equal('<xml><B><![CDATA[b]]></B><A>1</A></xml>');
    });

    it('writes an empty object as an empty root', () => {
      expect(buildXml({})).to.equal('<xml></xml>');
    });

    it('splits ]]> across two CDATA sections', () => {
      expect(buildXml({ A: 'a]]>b' })).to.equal('<xml><A><![CDATA[a]]]]><![CDATA[>b]]></A></xml>');
    });

    it('refuses element names outside [A-Za-z][A-Za-z0-9_]*', () => {
      for (const name of ['', '1A', '_A', 'a b', 'a-b', 'a>b', 'A:B', '中文']) {
        expect(() => buildXml({ [name]: 'x' }), JSON.stringify(name)).to.throw(TypeError, /element name/);
      }
      expect(buildXml({ a_B9: 'x' })).to.equal('<xml><a_B9><![CDATA[x]]></a_B9></xml>');
    });

    it('refuses numbers that are not finite, and other types', () => {
      expect(() => buildXml({ A: Number.NaN })).to.throw(TypeError, /finite/);
      expect(() => buildXml({ A: Infinity })).to.throw(TypeError, /finite/);
      expect(() => buildXml({ A: true as unknown as string })).to.throw(TypeError, /string or a number/);
    });
  });

  describe('parseFlatXml', () => {
    it('reads the reference event', () => {
      expect(parseFlatXml(REFERENCE)).to.deep.equal(REFERENCE_FIELDS);
    });

    it('round-trips what buildXml writes, ]]> included', () => {
      const fields = { A: 'a]]>b', B: ']]>', C: 'x]]>]]>y]]', D: '<tag attr="1">&amp;</tag>' };
      expect(parseFlatXml(buildXml(fields))).to.deep.equal(fields);
    });

    it('joins several CDATA sections and plain text in one element', () => {
      expect(parseFlatXml('<xml><A><![CDATA[ab]]><![CDATA[cd]]>e&amp;<![CDATA[f]]></A></xml>')).to.deep.equal({ A: 'abcde&f' });
    });

    it('decodes the five entities and numeric ones in plain text', () => {
      expect(parseFlatXml('<xml><A>&lt;a&gt; &amp; &quot;&apos;</A><B>&#65;&#x1F600;&#x4e2D;</B></xml>')).to.deep.equal({
        A: `<a> & "'`,
        B: 'A😀中',
      });
    });

    it('reads a DOCTYPE written inside CDATA as text, as a user may send it', () => {
      expect(parseFlatXml('<xml><Content><![CDATA[<!DOCTYPE html><!ENTITY a "b">]]></Content></xml>')).to.deep.equal({
        Content: '<!DOCTYPE html><!ENTITY a "b">',
      });
    });

    it('leaves entities in CDATA as they are', () => {
      expect(parseFlatXml('<xml><A><![CDATA[&lt;&amp;]]></A></xml>')).to.deep.equal({ A: '&lt;&amp;' });
    });

    it('refuses unknown, unterminated or out-of-range entities', () => {
      for (const text of ['&foo;', 'a & b', '&amp', '&#0;', '&#xD800;', '&#x110000;', '&#;', '&#xZZ;', `&${'a'.repeat(40)};`]) {
        expect(xmlError(`<xml><A>${text}</A></xml>`).message, text).to.match(/entity/);
      }
    });

    it('allows whitespace, newlines, a declaration and comments between elements', () => {
      const pretty = [
        '\uFEFF<?xml version="1.0" encoding="UTF-8"?>',
        '<!-- a push -->',
        '<xml>',
        '  <ToUserName><![CDATA[gh_account]]></ToUserName>\r',
        '\t<CreateTime>1714037059</CreateTime>',
        '  <!-- between -->',
        '  <Empty/>',
        '  <Spaced >  keep  me </Spaced >',
        '</xml >',
        '',
      ].join('\n');
      expect(parseFlatXml(pretty)).to.deep.equal({
        ToUserName: 'gh_account',
        CreateTime: '1714037059',
        Empty: '',
        Spaced: '  keep  me ',
      });
    });

    it('reads a 10,000-character value', () => {
      const long = 'x'.repeat(4_000) + '中'.repeat(3_000) + ']]>'.repeat(1_000);
      expect(long.length).to.equal(10_000);
      expect(parseFlatXml(buildXml({ Content: long }))).to.deep.equal({ Content: long });
      const plain = 'y'.repeat(10_000);
      expect(parseFlatXml(`<xml><Content>${plain}</Content></xml>`)).to.deep.equal({ Content: plain });
    });

    it('reads unicode, emoji and surrogate pairs unchanged', () => {
      const fields = { Content: '我是中文 😀👍🏽 ⚠️ ñ', Title: 'עברית العربية' };
      expect(parseFlatXml(buildXml(fields))).to.deep.equal(fields);
    });

    it('leaves out a child that holds elements, but keeps the flat ones', () => {
      const xml =
        '<xml><Event><![CDATA[scancode_push]]></Event><ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType>' +
        '<ScanResult>1</ScanResult><List><item>a</item><item/></List></ScanCodeInfo><EventKey>k</EventKey></xml>';
      expect(parseFlatXml(xml)).to.deep.equal({ Event: 'scancode_push', EventKey: 'k' });
    });

    it('still requires nested elements to be well formed', () => {
      expect(xmlError('<xml><A><B>x</C></A></xml>').message).to.match(/does not match/);
    });

    it('keeps a child named __proto__ as data', () => {
      const parsed = parseFlatXml('<xml><__proto__>x</__proto__><constructor>y</constructor></xml>');
      expect(Object.getPrototypeOf(parsed)).to.equal(Object.prototype);
      expect(Object.keys(parsed)).to.deep.equal(['__proto__', 'constructor']);
      expect(parsed['__proto__']).to.equal('x');
    });

    describe('refuses malformed input', () => {
      const cases: Array<[string, string, RegExp]> = [
        ['an empty string', '', /no <xml> root/],
        ['whitespace only', ' \n ', /no <xml> root/],
        ['text only', 'hello', /outside the <xml> root/],
        ['no root', '<ToUserName>x</ToUserName>', /root element must be <xml>/],
        ['another root name', '<root><A>x</A></root>', /root element must be <xml>/],
        ['two roots', '<xml></xml><xml></xml>', /more than one root/],
        ['an unclosed root', '<xml><A>x</A>', /unclosed element <xml>/],
        ['an unclosed child', '<xml><A>x</xml>', /does not match/],
        ['a child unclosed at the end', '<xml><A>x', /unclosed element <A>/],
        ['a stray closing tag', '</xml>', /unexpected closing tag/],
        ['a cut tag', '<xml><A', /malformed tag <A>/],
        ['a cut closing tag', '<xml><A>x</A', /malformed closing tag/],
        ['a lone <', '<xml><A>a < b</A></xml>', /invalid tag/],
        ['an unclosed CDATA section', '<xml><A><![CDATA[x</A></xml>', /unclosed CDATA/],
        ['an unclosed comment', '<xml><!-- x</xml>', /unclosed comment/],
        ['an attribute', '<xml><A b="1">x</A></xml>', /attribute/],
        ['a repeated child', '<xml><FromUserName>a</FromUserName><FromUserName>b</FromUserName></xml>', /repeated element/],
        ['text directly in the root', '<xml>hello<A>x</A></xml>', /directly inside <xml>/],
        ['CDATA directly in the root', '<xml><![CDATA[x]]></xml>', /directly inside <xml>/],
        ['text after the root', '<xml></xml>trailing', /outside the <xml> root/],
        ['a processing instruction inside the root', '<xml><?pi x?></xml>', /processing instruction/],
        ['a DOCTYPE', '<!DOCTYPE xml><xml><A>x</A></xml>', /DOCTYPE/],
        [
          'an entity declaration ("billion laughs")',
          '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><xml><A>&b;</A></xml>',
          /DOCTYPE/,
        ],
        ['a lower-case doctype', '<!doctype xml><xml></xml>', /DOCTYPE/],
        ['an ENTITY inside the root', '<xml><!ENTITY a "x"><A>&a;</A></xml>', /DOCTYPE/],
      ];
      for (const [label, input, message] of cases) {
        it(label, () => {
          const error = xmlError(input);
          expect(error.message).to.match(message);
          expect(error.code).to.equal('ERR_WECHAT_PUSH_XML');
          expect(error.name).to.equal('PushXmlError');
        });
      }

      it('refuses what is not a string', () => {
        expect(xmlError(undefined as unknown as string).message).to.match(/string/);
      });

      it('cuts a long tag name short in the message', () => {
        const name = `A${'b'.repeat(5000)}`;
        const error = xmlError(`<xml><${name}>x</xml>`);
        expect(error.message.length).to.be.below(200);
      });
    });

    describe('size and hostile input', () => {
      it('refuses a 2 MiB input', () => {
        const big = `<xml><A>${'x'.repeat(2 * 1024 * 1024)}</A></xml>`;
        expect(xmlError(big).message).to.match(/1 MiB/);
      });

      it('counts the limit in UTF-8 bytes, not characters', () => {
        const value = '中'.repeat(400_000); // 400,000 characters, 1,200,000 bytes
        expect(xmlError(`<xml><A>${value}</A></xml>`).message).to.match(/1 MiB/);
      });

      it('accepts an input just under 1 MiB', () => {
        const value = 'x'.repeat(1024 * 1024 - 20);
        expect(parseFlatXml(`<xml><A>${value}</A></xml>`).A).to.have.length(value.length);
      });

      const hostile: Array<[string, string]> = [
        ['deep nesting', `<xml>${'<a>'.repeat(250_000)}`],
        ['many unclosed CDATA starts', `<xml><A>${'<![CDATA['.repeat(100_000)}`],
        ['many ampersands', `<xml><A>${'&'.repeat(1_000_000)}</A></xml>`],
        ['ampersands with far semicolons', `<xml><A>${'&a'.repeat(400_000)};</A></xml>`],
        ['many <', '<'.repeat(1_000_000)],
        ['many comment starts', `<xml>${'<!--'.repeat(250_000)}`],
        ['one long tag name', `<xml><${'a'.repeat(1_000_000)}`],
        ['many closing brackets in CDATA', `<xml><A><![CDATA[${']]'.repeat(500_000)}`],
      ];
      for (const [label, input] of hostile) {
        it(`ends quickly with PushXmlError on ${label}`, () => {
          const started = process.hrtime.bigint();
          xmlError(input);
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          // One pass over 1 MiB takes milliseconds; a backtracking or quadratic reader would take minutes.
          expect(ms).to.be.below(2_000);
        });
      }

      it('reads many small elements in one pass', () => {
        const fields: Record<string, string> = {};
        for (let i = 0; i < 20_000; i++) fields[`F${i}`] = String(i);
        const started = process.hrtime.bigint();
        expect(Object.keys(parseFlatXml(buildXml(fields)))).to.have.length(20_000);
        expect(Number(process.hrtime.bigint() - started) / 1e6).to.be.below(2_000);
      });
    });
  });
});
