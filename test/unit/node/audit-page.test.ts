import assert from 'node:assert/strict';
import type { AuditEntry } from '../../../src/node/audit.js';
import { auditLogPage, MAX_LOG_PAGE } from '../../../src/node/server.js';
import { KeyShareNodeService, MAX_MESSAGE_BYTES } from '../../../src/node/rpc/schema.js';

/** A log of `n` entries whose free-text columns are `width` characters long. */
function fakeLog(n: number, width: number) {
  const entry = (seq: number): AuditEntry => ({
    seq,
    at: 1_700_000_000_000 + seq,
    caller: 'c'.repeat(width),
    rpc: 'SignShare',
    keyId: 'k'.repeat(Math.min(width, 128)),
    inputSha256: 'ab'.repeat(32),
    outcome: 'o'.repeat(width),
    prevHash: 'cd'.repeat(32),
    hash: 'ef'.repeat(32),
  });
  return {
    head: { seq: n, hash: 'ef'.repeat(32), at: 1_700_000_000_000 + n },
    entries: (from: number, limit: number) =>
      Array.from({ length: Math.max(0, Math.min(limit, n - from + 1)) }, (_, i) => entry(from + i)),
  };
}

describe('A ReadAuditLog page', () => {
  it('holds up to the limit asked for, 1000 when asked for none or for more', () => {
    const log = fakeLog(2500, 10);
    assert.equal(auditLogPage(log, 0n, 7).entries.length, 7);
    assert.equal(auditLogPage(log, 0n, 0).entries.length, MAX_LOG_PAGE);
    assert.equal(auditLogPage(log, 0n, 100_000).entries.length, MAX_LOG_PAGE);
    assert.equal(MAX_LOG_PAGE, 1000);
  });

  it('starts after after_seq, and says whether more entries follow', () => {
    const log = fakeLog(25, 10);
    const page = auditLogPage(log, 20n, 0);
    assert.deepEqual(page.entries.map((e) => e.seq), [21, 22, 23, 24, 25]);
    assert.equal(page.more, false);
    assert.equal(auditLogPage(log, 10n, 5).more, true);
    const past = auditLogPage(log, 99n, 0);
    assert.deepEqual([past.entries.length, past.more], [0, false]);
  });

  it('stops before its message would pass the cap when entries are long', () => {
    const log = fakeLog(600, 1024);
    const page = auditLogPage(log, 0n, 0);
    assert.ok(page.entries.length > 1 && page.entries.length < 600, String(page.entries.length));
    assert.equal(page.more, true);
    const serialize = KeyShareNodeService.ReadAuditLog?.responseSerialize;
    assert.ok(serialize);
    const head = { seq: 600, hash: Buffer.alloc(32), at_ms: 1, signature: Buffer.alloc(72) };
    const size = serialize({ entries: page.entries, more: true, head }).length;
    assert.ok(size <= MAX_MESSAGE_BYTES && size > MAX_MESSAGE_BYTES - 4096, String(size));
  });
});
