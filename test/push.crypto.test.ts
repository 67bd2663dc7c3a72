import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { expect } from 'chai';
import { PushCipher, PushDecryptError } from '../lib/push/index.js';

const KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const APPID = 'wxb11529c136998cb6';
const MESSAGE = '我是中文abcd123';
const RANDOM = Buffer.from('aaaabbbbccccdddd', 'ascii');
const VECTOR = 'jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==';
const KEY_BYTES = Buffer.from(`${KEY}=`, 'base64');

/** AES-256-CBC over bytes we lay out ourselves, to reach each check of decrypt. */
function rawEncrypt(plain: Buffer): string {
  const cipher = createCipheriv('aes-256-cbc', KEY_BYTES, KEY_BYTES.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
}

/** The plaintext layout of safe mode, with the parts given. */
function layout(message: Buffer, appId: string, length = message.length): Buffer {
  const field = Buffer.alloc(4);
  field.writeUInt32BE(length, 0);
  return Buffer.concat([RANDOM, field, message, Buffer.from(appId)]);
}

function pad32(plain: Buffer): Buffer {
  const pad = 32 - (plain.length % 32);
  return Buffer.concat([plain, Buffer.alloc(pad, pad)]);
}

function decryptError(cipher: PushCipher, encrypted: string): PushDecryptError {
  try {
    cipher.decrypt(encrypted);
  } catch (error) {
    expect(error).to.be.instanceOf(PushDecryptError);
    return error as PushDecryptError;
  }
  expect.fail('decrypt should have thrown');
}

describe('push safe-mode crypto', () => {
  const cipher = new PushCipher(KEY, APPID);

  describe('encrypt', () => {
    it('matches the known vector', () => {
      expect(cipher.encrypt(MESSAGE, RANDOM)).to.equal(VECTOR);
    });

    it('pads to 32-byte blocks, a whole block of 32 when already aligned', () => {
      // 16 + 4 + 26 + 18 = 64 bytes of plaintext: already aligned, so 32 bytes of padding follow.
      const encrypted = Buffer.from(cipher.encrypt('x'.repeat(26), RANDOM), 'base64');
      expect(encrypted.length).to.equal(96);
      const decipher = createDecipheriv('aes-256-cbc', KEY_BYTES, KEY_BYTES.subarray(0, 16));
      decipher.setAutoPadding(false);
      const plain = Buffer.concat([decipher.update(encrypted), decipher.final()]);
      expect([...plain.subarray(64)]).to.deep.equal(new Array<number>(32).fill(32));
      expect(plain.subarray(16, 20).readUInt32BE(0)).to.equal(26);
      expect(plain.subarray(46, 64).toString()).to.equal(APPID);
    });

    it('pads a 17-byte remainder with 15 bytes of 15 (not to 16-byte blocks)', () => {
      // 16 + 4 + 1 + 18 = 39 bytes: 25 to the next 32, where 16-byte blocks would need 9.
      const encrypted = Buffer.from(cipher.encrypt('x', RANDOM), 'base64');
      expect(encrypted.length).to.equal(64);
    });

    it('uses fresh random bytes when none are given', () => {
      expect(cipher.encrypt(MESSAGE)).to.not.equal(cipher.encrypt(MESSAGE));
    });

    it('refuses random bytes that are not 16', () => {
      expect(() => cipher.encrypt(MESSAGE, Buffer.alloc(15))).to.throw(TypeError, /16 bytes/);
    });
  });

  describe('decrypt', () => {
    it('reads the known vector', () => {
      expect(cipher.decrypt(VECTOR)).to.equal(MESSAGE);
    });

    it('round-trips with random bytes, across lengths and unicode', () => {
      for (const message of ['', 'a', '<xml><A><![CDATA[😀 中文]]></A></xml>', 'y'.repeat(31), 'z'.repeat(5000)]) {
        const encrypted = cipher.encrypt(message, randomBytes(16));
        expect(cipher.decrypt(encrypted)).to.equal(message);
      }
    });

    it('refuses a message for another appid', () => {
      const other = new PushCipher(KEY, 'wx0000000000000000');
      const error = decryptError(other, VECTOR);
      expect(error.message).to.match(/appid/);
      expect(error.code).to.equal('ERR_WECHAT_PUSH_DECRYPT');
      expect(error.name).to.equal('PushDecryptError');
      expect(error.message).to.not.include(MESSAGE);
      expect(error.message).to.not.include(APPID);
    });

    it('refuses a message made with another key', () => {
      const other = new PushCipher('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij0123456', APPID);
      decryptError(other, VECTOR);
    });

    it('throws PushDecryptError, never another error, for every one-bit change', () => {
      const bytes = Buffer.from(VECTOR, 'base64');
      let refused = 0;
      for (let i = 0; i < bytes.length; i++) {
        const tampered = Buffer.from(bytes);
        tampered[i] = (tampered[i] ?? 0) ^ 1;
        // CBC has no integrity of its own (msg_signature is the check): a change in the first block only
        // flips a byte of the second, so it may decrypt to a different message. It must never match, or crash.
        try {
          expect(cipher.decrypt(tampered.toString('base64'))).to.not.equal(MESSAGE);
        } catch (error) {
          expect(error, `byte ${i}`).to.be.instanceOf(PushDecryptError);
          refused++;
        }
      }
      // Every change past the first block garbles the padding, appid or length.
      expect(refused).to.be.at.least(bytes.length - 16);
    });

    it('refuses a change in the last block as bad padding', () => {
      const bytes = Buffer.from(VECTOR, 'base64');
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x80;
      decryptError(cipher, bytes.toString('base64'));
    });

    it('refuses what is not base64', () => {
      expect(decryptError(cipher, `${VECTOR.slice(0, -4)}!!!!`).message).to.match(/base64/);
      expect(decryptError(cipher, `${VECTOR} `).message).to.match(/base64/);
      expect(decryptError(cipher, 42 as unknown as string).message).to.match(/base64/);
    });

    it('refuses an empty message or one that is not whole AES blocks', () => {
      expect(decryptError(cipher, '').message).to.match(/base64|blocks/);
      expect(decryptError(cipher, Buffer.alloc(15).toString('base64')).message).to.match(/blocks/);
      expect(decryptError(cipher, Buffer.from(VECTOR, 'base64').subarray(0, 40).toString('base64')).message).to.match(/blocks/);
    });

    it('refuses a message cut to whole blocks', () => {
      decryptError(cipher, Buffer.from(VECTOR, 'base64').subarray(0, 32).toString('base64'));
    });

    it('refuses a pad byte of 0 or over 32, and pad bytes that differ', () => {
      const plain = layout(Buffer.from('hello'), APPID); // 43 bytes
      const zero = Buffer.concat([plain, Buffer.alloc(21, 0)]);
      expect(decryptError(cipher, rawEncrypt(zero)).message).to.match(/padding/);
      // 33 bytes of 33 at the end, so only the 1..32 bound can refuse it.
      const big = Buffer.concat([plain.subarray(0, 31), Buffer.alloc(33, 33)]);
      expect(decryptError(cipher, rawEncrypt(big)).message).to.match(/padding/);
      const mixed = pad32(plain); // 21 bytes of 21, one of which we change
      mixed[mixed.length - 5] = 20;
      expect(decryptError(cipher, rawEncrypt(mixed)).message).to.match(/padding/);
      // The same layout, padded right, does decrypt: the checks above are what refused it.
      expect(cipher.decrypt(rawEncrypt(pad32(plain)))).to.equal('hello');
    });

    it('accepts 16-byte PKCS#7 padding too, since it is valid within 1..32', () => {
      const plain = layout(Buffer.from('hello'), APPID); // 43 bytes → 5 bytes of 5 reach 48
      expect(cipher.decrypt(rawEncrypt(Buffer.concat([plain, Buffer.alloc(5, 5)])))).to.equal('hello');
    });

    it('refuses a length field that does not fit', () => {
      const error = decryptError(cipher, rawEncrypt(pad32(layout(Buffer.from('hello'), APPID, 0xffffffff))));
      expect(error.message).to.match(/length/);
      decryptError(cipher, rawEncrypt(pad32(layout(Buffer.from('hello'), APPID, 5 + APPID.length + 1))));
    });

    it('refuses a plaintext shorter than its header', () => {
      expect(decryptError(cipher, rawEncrypt(pad32(Buffer.from('short')))).message).to.match(/short/);
    });

    it('refuses a message that is not valid UTF-8', () => {
      expect(decryptError(cipher, rawEncrypt(pad32(layout(Buffer.from([0xff, 0xfe]), APPID)))).message).to.match(/UTF-8/);
    });
  });

  describe('the key', () => {
    const badKeys = [KEY.slice(0, 42), `${KEY}H`, '', `${KEY.slice(0, 42)}-`, `${KEY.slice(0, 42)}=`, `${KEY.slice(0, 21)} ${KEY.slice(22)}`];

    for (const bad of badKeys) {
      it(`refuses a key of ${bad.length} characters (${JSON.stringify(bad.slice(-2))} at the end) without quoting it`, () => {
        let caught: unknown;
        try {
          new PushCipher(bad, APPID);
        } catch (error) {
          caught = error;
        }
        expect(caught).to.be.instanceOf(TypeError);
        const message = (caught as TypeError).message;
        expect(message).to.match(/encodingAESKey must be 43 characters of base64/);
        if (bad.length > 0) expect(message).to.not.include(bad);
        expect(message).to.not.include(KEY.slice(0, 10));
      });
    }

    it('refuses a key that is not a string', () => {
      expect(() => new PushCipher(undefined as unknown as string, APPID)).to.throw(TypeError, /encodingAESKey/);
    });

    it('refuses an empty appId', () => {
      expect(() => new PushCipher(KEY, '')).to.throw(TypeError, /appId/);
    });

    it('is shown neither by util.inspect nor by JSON.stringify', () => {
      const shown = [
        inspect(cipher),
        inspect(cipher, { showHidden: true, depth: Infinity, getters: true }),
        JSON.stringify(cipher),
        JSON.stringify({ nested: cipher }),
      ];
      // The key as text, as hex, as inspect prints a Buffer, and as JSON writes one.
      const forms = [
        KEY,
        KEY_BYTES.toString('hex'),
        inspect(KEY_BYTES.subarray(0, 8)).slice(8, -1),
        JSON.stringify([...KEY_BYTES.subarray(0, 8)]).slice(1, -1),
      ];
      for (const text of shown) {
        for (const form of forms) expect(text).to.not.include(form);
      }
      // The appid is no secret; seeing it proves inspect did look at the object.
      expect(inspect(cipher)).to.include(APPID);
    });
  });
});
