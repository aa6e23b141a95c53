// The pieces of long-input windowing that need no model: the window size,
// words that give the text back, and window starts that cover the response,
// overlap as asked and stop at maxChunks.
import { describe, expect, it } from 'vitest';
import { windowStarts, windowTokens, wordsOf, wordStarts } from '../../lib/scorer/windows.js';

describe('windowTokens', () => {
  it('is what the budget leaves beside the instruction, which takes at most half', () => {
    expect(windowTokens(10, 508)).toBe(498);
    expect(windowTokens(254, 508)).toBe(254);
    expect(windowTokens(5000, 508)).toBe(254);
    expect(windowTokens(5000, 509)).toBe(255);
  });
});

describe('words', () => {
  it('are runs of non-whitespace with the whitespace before them, and give the text back', () => {
    const text = '  Hello,\tworld!\n\nnaïve 東京\u00A0x\u3000y\uFEFFz  ';
    const words = wordsOf(text);
    // U+FEFF is not whitespace to HF's pre-tokenizers, so it stays inside a word; trailing whitespace joins the last word.
    expect(words).toEqual(['  Hello,', '\tworld!', '\n\nnaïve', ' 東京', '\u00A0x', '\u3000y\uFEFFz  ']);
    expect(words.join('')).toBe(text);
    expect(wordStarts('one two')).toEqual([0, 3]);
    expect(wordsOf('   ')).toEqual([]);
  });
});

describe('windowStarts', () => {
  const text = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');
  const ones = new Array(100).fill(1); // one token per word

  it('covers the response in windows that overlap by at most chunkOverlap tokens', () => {
    // budget 30, a 10-token instruction: windows keep 20 response tokens.
    const starts = windowStarts(10, text, ones, 30, { chunkOverlap: 5, maxChunks: 100 });
    const wordAt = (s: number) => wordStarts(text).indexOf(s);
    const first = starts.map(wordAt);
    expect(first[0]).toBe(0);
    // Each window starts 15 words after the previous (20 held - 5 shared); the last one reaches word 99.
    expect(first).toEqual([0, 15, 30, 45, 60, 75, 90]);
    expect(first.at(-2)! + 20).toBeLessThan(100);
    expect(first.at(-1)! + 20).toBeGreaterThanOrEqual(100);
  });

  it('stops at maxChunks, and a response that fits is one window', () => {
    expect(windowStarts(10, text, ones, 30, { chunkOverlap: 5, maxChunks: 3 })).toHaveLength(3);
    expect(windowStarts(10, text, ones, 200, { chunkOverlap: 5, maxChunks: 10 })).toEqual([0]);
  });

  it('always moves forward, even when the overlap is as long as a window', () => {
    const starts = windowStarts(10, text, ones, 30, { chunkOverlap: 50, maxChunks: 1000 });
    for (let i = 1; i < starts.length; i++) expect(starts[i]).toBeGreaterThan(starts[i - 1]);
    expect(starts.length).toBeLessThanOrEqual(100);
  });
});
