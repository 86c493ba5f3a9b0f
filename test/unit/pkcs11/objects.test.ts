import assert from 'node:assert/strict';
import * as ck from '../../../src/pkcs11/ck.js';
import type { Attrs } from '../../../src/pkcs11/service/attributes.js';
import { CkError } from '../../../src/pkcs11/service/errors.js';
import { applyChanges, buildObject, matches, readAttribute } from '../../../src/pkcs11/service/objects.js';

const rv = (f: () => unknown): bigint => {
  try {
    f();
  } catch (err) {
    if (err instanceof CkError) return err.rv;
    throw err;
  }
  return ck.CKR_OK;
};

const priv = (): Attrs => buildObject('generate', new Map([[ck.CKA_SIGN, true]]), new Map<bigint, bigint | boolean>([
  [ck.CKA_CLASS, ck.CKO_PRIVATE_KEY], [ck.CKA_KEY_TYPE, ck.CKK_RSA], [ck.CKA_LOCAL, true],
  [ck.CKA_ALWAYS_SENSITIVE, true], [ck.CKA_NEVER_EXTRACTABLE, true],
]));

describe('the attribute rules', () => {
  it('fill in the table\'s defaults for a generated private key', () => {
    const a = priv();
    assert.equal(a.get(ck.CKA_SENSITIVE), true);
    assert.equal(a.get(ck.CKA_EXTRACTABLE), false);
    assert.equal(a.get(ck.CKA_DECRYPT), false);
    assert.equal(a.get(ck.CKA_MODIFIABLE), true);
  });

  it('refuse an attribute the object cannot have, and one only the token sets', () => {
    assert.equal(rv(() => buildObject('create', new Map<bigint, bigint | boolean>([
      [ck.CKA_CLASS, ck.CKO_DATA], [ck.CKA_LOCAL, true]]))), ck.CKR_ATTRIBUTE_TYPE_INVALID);
    assert.equal(rv(() => buildObject('generate', new Map([[ck.CKA_LOCAL, false]]), new Map([
      [ck.CKA_CLASS, ck.CKO_PUBLIC_KEY], [ck.CKA_KEY_TYPE, ck.CKK_RSA], [ck.CKA_MODULUS_BITS, 1024n]]))),
    ck.CKR_ATTRIBUTE_READ_ONLY);
  });

  it('require CKA_MODULUS_BITS to generate and CKA_CLASS to create (CKR_TEMPLATE_INCOMPLETE)', () => {
    assert.equal(rv(() => buildObject('generate', new Map(), new Map([
      [ck.CKA_CLASS, ck.CKO_PUBLIC_KEY], [ck.CKA_KEY_TYPE, ck.CKK_RSA]]))), ck.CKR_TEMPLATE_INCOMPLETE);
    assert.equal(rv(() => buildObject('create', new Map([[ck.CKA_TOKEN, true]]))), ck.CKR_TEMPLATE_INCOMPLETE);
  });

  it('let CKA_SENSITIVE only become true and CKA_EXTRACTABLE only become false', () => {
    const a = priv();
    assert.equal(rv(() => applyChanges(a, new Map([[ck.CKA_SENSITIVE, false]]), { copy: false, so: false })),
      ck.CKR_ATTRIBUTE_READ_ONLY);
    const b = applyChanges(a, new Map([[ck.CKA_EXTRACTABLE, false]]), { copy: false, so: false });
    assert.equal(b.get(ck.CKA_EXTRACTABLE), false);
    const ex = new Map(a).set(ck.CKA_EXTRACTABLE, false);
    assert.equal(rv(() => applyChanges(ex, new Map([[ck.CKA_EXTRACTABLE, true]]), { copy: false, so: false })),
      ck.CKR_ATTRIBUTE_READ_ONLY);
  });

  it('refuse to change CKA_CLASS, and anything on an object that is not modifiable', () => {
    const a = priv();
    assert.equal(rv(() => applyChanges(a, new Map([[ck.CKA_CLASS, ck.CKO_DATA]]), { copy: false, so: false })),
      ck.CKR_ATTRIBUTE_READ_ONLY);
    const fixed = new Map(a).set(ck.CKA_MODIFIABLE, false);
    assert.equal(rv(() => applyChanges(fixed, new Map([[ck.CKA_LABEL, Buffer.from('x')]]), { copy: false, so: false })),
      ck.CKR_ACTION_PROHIBITED);
  });

  it('report secret components as sensitive and absent attributes as invalid', () => {
    const a = priv();
    assert.deepEqual(readAttribute(a, ck.CKA_PRIVATE_EXPONENT), { rv: ck.CKR_ATTRIBUTE_SENSITIVE });
    assert.deepEqual(readAttribute(a, ck.CKA_VALUE), { rv: ck.CKR_ATTRIBUTE_TYPE_INVALID });
    assert.deepEqual(readAttribute(a, ck.CKA_SIGN), { value: true });
  });

  it('match a find template attribute by attribute', () => {
    const a = new Map(priv()).set(ck.CKA_ID, Buffer.from('01', 'hex'));
    assert.ok(matches(a, new Map([[ck.CKA_ID, Buffer.from('01', 'hex')]])));
    assert.ok(!matches(a, new Map([[ck.CKA_ID, Buffer.from('02', 'hex')]])));
    assert.ok(matches(a, new Map()));
  });
});
