import assert from 'node:assert/strict';
import { EVEN_WORDS, ODD_WORDS, pgpWords } from '../../../src/ceremony/words.js';

describe('PGP word list', () => {
  it('reads the published example as Juola and Zimmermann give it', () => {
    const bytes = Buffer.from('E58294F2E9A227486E8B061B31CC528FD7FA3F19', 'hex');
    assert.deepEqual(pgpWords(bytes), [
      'topmost', 'Istanbul', 'Pluto', 'vagabond', 'treadmill', 'Pacific', 'brackish', 'dictator', 'goldfish', 'Medusa',
      'afflict', 'bravado', 'chatter', 'revolver', 'Dupont', 'midsummer', 'stopwatch', 'whimsical', 'cowbell',
      'bottomless',
    ]);
  });

  it('reads a second published fingerprint the same way', () => {
    // From the Encode::Wordlist::PGP documentation: a GnuPG key fingerprint.
    const bytes = Buffer.from('41559711308F2A21B9D5072D621958AFCB50B5F9', 'hex');
    assert.deepEqual(pgpWords(bytes), [
      'cranky', 'equipment', 'preshrunk', 'Babylon', 'chairlift', 'midsummer', 'brickyard', 'Camelot', 'sentence',
      'specialist', 'ahead', 'clergyman', 'flagpole', 'bottomless', 'endorse', 'pharmacy', 'spheroid', 'embezzle',
      'scorecard', 'Waterloo',
    ]);
  });

  it('has 256 words in each list and no word twice, within or across the lists', () => {
    assert.equal(EVEN_WORDS.length, 256);
    assert.equal(ODD_WORDS.length, 256);
    const all = [...EVEN_WORDS, ...ODD_WORDS].map((w) => w.toLowerCase());
    assert.equal(new Set(all).size, 512);
  });

  it('keeps both lists alphabetical, but for applicant before Apollo as in the original', () => {
    const outOfOrder = (list: readonly string[]) => list.flatMap((w, i) => {
      const prev = list[i - 1];
      return prev !== undefined && prev.toLowerCase() >= w.toLowerCase() ? [`${prev} ${w}`] : [];
    });
    assert.deepEqual(outOfOrder(EVEN_WORDS), []);
    assert.deepEqual(outOfOrder(ODD_WORDS), ['applicant Apollo']);
    assert.equal(ODD_WORDS[0x09], 'applicant');
    assert.equal(ODD_WORDS[0x0a], 'Apollo');
  });

  it('has only letters in every word', () => {
    for (const w of [...EVEN_WORDS, ...ODD_WORDS]) assert.match(w, /^[A-Za-z]+$/);
  });

  it('starts every byte sequence with the even list, whatever its length', () => {
    assert.deepEqual(pgpWords(new Uint8Array([0, 0, 0])), ['aardvark', 'adroitness', 'aardvark']);
    assert.deepEqual(pgpWords(new Uint8Array([255, 255])), ['Zulu', 'Yucatan']);
    assert.deepEqual(pgpWords(new Uint8Array()), []);
  });
});
