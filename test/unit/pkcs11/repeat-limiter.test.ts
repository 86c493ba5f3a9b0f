import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { conciseDetails } from '../../../src/coordinator/coordinator.js';
import { RepeatLimiter } from '../../../src/pkcs11/service/repeat-limiter.js';

describe('the repeat limiter of the token service log', () => {
  it('writes the first of identical lines at once and one summary when the window closes', async () => {
    const out: string[] = [];
    const r = new RepeatLimiter((l) => out.push(l), { windowMs: 50 });
    for (let i = 0; i < 1000; i++) r.log('C_Sign: CKR_DEVICE_ERROR: quorum lost');
    r.log('another line');
    assert.deepEqual(out, ['C_Sign: CKR_DEVICE_ERROR: quorum lost', 'another line']);
    await sleep(120);
    assert.deepEqual(out.slice(2), ['C_Sign: CKR_DEVICE_ERROR: quorum lost [repeated 999 more times in 0.05 s]']);
    r.log('C_Sign: CKR_DEVICE_ERROR: quorum lost');
    assert.equal(out.length, 4, 'a new window starts with the line itself');
  });

  it('writes no summary for a line that was not repeated, and flushes pending summaries on demand', () => {
    const out: string[] = [];
    const r = new RepeatLimiter((l) => out.push(l), { windowMs: 60_000 });
    r.log('once');
    r.log('twice');
    r.log('twice');
    r.flush();
    assert.deepEqual(out, ['once', 'twice', 'twice [repeated 1 more time in 60 s]']);
  });

  it('stops tracking past its cap and then writes every line', () => {
    const out: string[] = [];
    const r = new RepeatLimiter((l) => out.push(l), { windowMs: 60_000, maxTracked: 2 });
    for (const l of ['a', 'b', 'c', 'c', 'a']) r.log(l);
    r.flush();
    assert.deepEqual(out, ['a', 'b', 'c', 'c', 'a [repeated 1 more time in 60 s]']);
  });
});

describe('the coordinator\'s wording of a gRPC connection failure', () => {
  it('keeps only the socket error of grpc-js\'s details', () => {
    const d = 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:35991. Resolution note: ';
    assert.equal(conciseDetails(d), 'connect ECONNREFUSED 127.0.0.1:35991');
    assert.equal(conciseDetails('Deadline exceeded'), 'Deadline exceeded');
  });
});
