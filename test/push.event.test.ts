import { expect } from 'chai';
import {
  PushCipher,
  buildEncryptedEnvelope,
  buildEventXml,
  messageSignature,
  parseFlatXml,
  signaturesEqual,
  type SubscriptionEvent,
} from '../lib/push/index.js';

const REFERENCE =
  '<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[OPENID]]></FromUserName>' +
  '<CreateTime>1714037059</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>' +
  '<EventKey><![CDATA[]]></EventKey></xml>';

const SUBSCRIBE: SubscriptionEvent = {
  toUserName: 'gh_account',
  fromUserName: 'OPENID',
  createTime: 1714037059,
  event: 'subscribe',
};

describe('push subscription events', () => {
  describe('buildEventXml', () => {
    it('writes exactly the reference event', () => {
      expect(buildEventXml(SUBSCRIBE)).to.equal(REFERENCE);
    });

    it('writes an unsubscribe with an event key, in the same order', () => {
      expect(buildEventXml({ ...SUBSCRIBE, event: 'unsubscribe', eventKey: 'qrscene_42' })).to.equal(
        '<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[OPENID]]></FromUserName>' +
          '<CreateTime>1714037059</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[unsubscribe]]></Event>' +
          '<EventKey><![CDATA[qrscene_42]]></EventKey></xml>',
      );
    });

    it('reads back as the fields WeChat sends', () => {
      expect(parseFlatXml(buildEventXml({ ...SUBSCRIBE, fromUserName: 'o]]>x' }))).to.deep.equal({
        ToUserName: 'gh_account',
        FromUserName: 'o]]>x',
        CreateTime: '1714037059',
        MsgType: 'event',
        Event: 'subscribe',
        EventKey: '',
      });
    });

    it('refuses an unknown event and a createTime that is not whole unix seconds', () => {
      expect(() => buildEventXml({ ...SUBSCRIBE, event: 'SCAN' as 'subscribe' })).to.throw(TypeError, /event/);
      for (const createTime of [1714037059.5, -1, Number.NaN, 1714037059000 * 1e6]) {
        expect(() => buildEventXml({ ...SUBSCRIBE, createTime }), String(createTime)).to.throw(TypeError, /createTime/);
      }
    });
  });

  describe('buildEventXml with Encrypt (compatible mode)', () => {
    it('puts the Encrypt element after the plain fields', () => {
      const xml = buildEventXml(SUBSCRIBE, 'abc+/=');
      expect(xml).to.equal(REFERENCE.replace('</xml>', '<Encrypt><![CDATA[abc+/=]]></Encrypt></xml>'));
    });
  });

  describe('buildEncryptedEnvelope', () => {
    it('writes ToUserName and Encrypt as CDATA', () => {
      expect(buildEncryptedEnvelope('gh_account', 'abc+/=')).to.equal(
        '<xml><ToUserName><![CDATA[gh_account]]></ToUserName><Encrypt><![CDATA[abc+/=]]></Encrypt></xml>',
      );
    });
  });

  it('carries an event through safe mode: build, encrypt, sign, then parse, verify, decrypt', () => {
    const token = 'AAAAA';
    const timestamp = '1714037059';
    const nonce = '486452656';
    const cipher = new PushCipher('abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', 'wxb11529c136998cb6');

    // The sender (the emulator).
    const encrypt = cipher.encrypt(buildEventXml(SUBSCRIBE));
    const body = buildEncryptedEnvelope(SUBSCRIBE.toUserName, encrypt);
    const signature = messageSignature(token, timestamp, nonce, encrypt);

    // The receiver (an endpoint).
    const envelope = parseFlatXml(body);
    expect(envelope.ToUserName).to.equal('gh_account');
    const received = envelope.Encrypt ?? '';
    expect(signaturesEqual(messageSignature(token, timestamp, nonce, received), signature)).to.equal(true);
    expect(signaturesEqual(messageSignature('BBBBB', timestamp, nonce, received), signature)).to.equal(false);
    expect(parseFlatXml(cipher.decrypt(received))).to.deep.equal(parseFlatXml(REFERENCE));
  });
});
