import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CALLS, V2_CALLS } from '../../../src/pkcs11/protocol/calls.js';
import { generateC } from '../../../src/pkcs11/protocol/gen-c.js';

const GENERATED = fileURLToPath(new URL('../../../../native/src/pkcs11/calls.gen.c', import.meta.url));

describe('The C side of the call table (native/src/pkcs11/calls.gen.c)', () => {
  it('is exactly what the generator makes of the table (run `npm run gen:shim` after changing calls.ts)', () => {
    assert.equal(readFileSync(GENERATED, 'utf8'), generateC());
  });

  it('numbers every call by its position and forwards every call that is not local through one stub', () => {
    const c = generateC();
    for (const call of CALLS) {
      assert.ok(c.includes(`  KOFN_ID_${call.name} = ${call.id},`), call.name);
      assert.equal(c.includes(`kofn_forward(&kofn_calls[KOFN_ID_${call.name}], a);`), call.local !== true, call.name);
      assert.ok(c.includes(`  .${call.name} = kofn_${call.name},`), `${call.name} fills its function list slot`);
    }
    assert.equal(c.match(/kofn_forward\(/g)?.length, CALLS.filter((x) => !x.local).length);
    assert.ok(c.includes(`== offsetof(CK_FUNCTION_LIST, C_Initialize) + ${V2_CALLS} * sizeof(CK_C_Initialize)`));
    assert.ok(c.includes(`== offsetof(CK_FUNCTION_LIST_3_0, C_Initialize) + ${CALLS.length} * sizeof(CK_C_Initialize)`));
  });

  it('marks the session-bound calls and the retry class of each call as the table says', () => {
    const c = generateC();
    for (const call of CALLS) {
      const row = c.split('\n').find((l) => l.startsWith(`  { ${call.id}, "${call.name}", `));
      assert.ok(row, call.name);
      assert.ok(row.includes(call.retry === 'once' ? 'KOFN_ONCE' : 'KOFN_IDEMPOTENT'), call.name);
      const session = call.args[0]?.[0] === 'hSession' || call.name === 'C_CloseAllSessions';
      assert.ok(row.includes(`, ${call.local ? 1 : 0}, ${session ? 1 : 0}, KOFN_DOWN_`), call.name);
    }
  });
});
