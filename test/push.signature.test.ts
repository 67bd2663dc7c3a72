import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { expect } from 'chai';
import { messageSignature, pushSignature, signaturesEqual } from '../lib/push/index.js';

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

describe('push signatures', () => {
  describe('pushSignature', () => {
    it('matches the known vectors', () => {
      expect(pushSignature('AAAAA', '1714036504', '1514711492')).to.equal('f464b24fc39322e44b38aa78f5edd27bd1441696');
      expect(pushSignature('AAAAA', '1714037059', '486452656')).to.equal('899cf89e464efb63f54ddac96b0a0a235f53aa78');
    });

    it('sorts the parts as strings, not as numbers', () => {
      // As numbers 9 < 10 < 100; as strings '10' < '100' < '9'.
      expect(pushSignature('9', '10', '100')).to.equal(sha1('101009'));
    });

    it('does not depend on which argument holds which part', () => {
      const expected = pushSignature('AAAAA', '1714036504', '1514711492');
      expect(pushSignature('1514711492', 'AAAAA', '1714036504')).to.equal(expected);
      expect(pushSignature('1714036504', '1514711492', 'AAAAA')).to.equal(expected);
    });

    it('changes with the token', () => {
      expect(pushSignature('AAAAB', '1714036504', '1514711492')).to.not.equal('f464b24fc39322e44b38aa78f5edd27bd1441696');
    });
  });

  describe('messageSignature', () => {
    const encrypt = 'jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==';

    it('matches a vector computed apart (sort | sha1sum)', () => {
      expect(messageSignature('AAAAA', '1714037059', '486452656', encrypt)).to.equal('87e84376e825e549eb0eadd57c3703c5b36fd679');
    });

    it('is sha1 of the four parts sorted and joined', () => {
      const parts = ['AAAAA', '1714037059', '486452656', encrypt].sort();
      expect(messageSignature('AAAAA', '1714037059', '486452656', encrypt)).to.equal(sha1(parts.join('')));
    });

    it('covers the encrypted message', () => {
      expect(messageSignature('AAAAA', '1714037059', '486452656', `${encrypt}x`)).to.not.equal(
        messageSignature('AAAAA', '1714037059', '486452656', encrypt),
      );
    });
  });

  describe('signaturesEqual', () => {
    const signature = 'f464b24fc39322e44b38aa78f5edd27bd1441696';

    it('accepts the same signature', () => {
      expect(signaturesEqual(signature, `${signature}`)).to.equal(true);
    });

    it('refuses a signature that differs in one character', () => {
      expect(signaturesEqual(signature, `${signature.slice(0, -1)}7`)).to.equal(false);
      expect(signaturesEqual(signature, signature.toUpperCase())).to.equal(false);
    });

    it('refuses a different length without throwing', () => {
      expect(signaturesEqual(signature, signature.slice(0, -1))).to.equal(false);
      expect(signaturesEqual(signature, `${signature}0`)).to.equal(false);
      expect(signaturesEqual(signature, '')).to.equal(false);
    });

    it('refuses anything that is not a string, as a parsed query may hold', () => {
      for (const actual of [undefined, null, 42, [signature], { signature }]) {
        expect(signaturesEqual(signature, actual as unknown as string), inspect(actual)).to.equal(false);
      }
      expect(signaturesEqual(undefined as unknown as string, signature)).to.equal(false);
    });
  });
});
