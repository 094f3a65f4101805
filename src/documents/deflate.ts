import { deflateRawSync, deflateSync } from 'node:zlib';

/**
 * zlib deflate for the many small parts of a certificate (page XML, PDF content streams, CMaps, QR image rows: a few
 * hundred bytes to ~30 KB each, ~15 a certificate). zlib's set-up allocates and clears its window and hash tables for
 * every call: at the default 32 KB window (windowBits 15) that set-up, not the compression, was most of a small
 * part's cost (a certificate's page XML: 0.44 ms at windowBits 15, 0.11 ms at 14, same output). The window here is
 * the smallest power of two that still covers the whole input plus zlib's look-ahead, so every back-reference the
 * default window could find is still in reach and the size does not change.
 */
const LOOKAHEAD = 262; // zlib's MIN_LOOKAHEAD: the window must cover the input and this much

function windowBitsFor(length: number): number {
  let bits = 9; // the smallest window zlib's deflate accepts
  while (bits < 15 && 1 << bits < length + LOOKAHEAD) bits++;
  return bits;
}

/**
 * The level for a certificate's page XML (OFD) and content streams (PDF). zlib's levels 1–3 match greedily, 4–9
 * lazily: on the 35 KB of XML of a sample certificate level 6 wrote 5,951 bytes in 0.39–0.56 ms, level 3 6,410 bytes
 * in 0.18–0.21 ms (.tmp measurement, 2026-12-03) — 0.2 % more file for half the time.
 */
export const PART_LEVEL = 3;

/** A zlib stream (RFC 1950: PNG IDAT, PDF FlateDecode). */
export function deflateZlib(data: Uint8Array, level: number): Uint8Array {
  return deflateSync(data, { level, windowBits: windowBitsFor(data.length) });
}

/** Raw deflate (RFC 1951: zip entries). */
export function deflateRaw(data: Uint8Array, level: number): Uint8Array {
  return deflateRawSync(data, { level, windowBits: windowBitsFor(data.length) });
}
