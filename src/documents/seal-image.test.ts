import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PNG } from 'pngjs';
import { checkSealPng, drawSealSvg, indexedPng, SEAL_DIAMETER_MM, sealPng, sealSvg } from './seal-image.js';

/** Issue 4 §5: the generated round red seal is deterministic per agency and carries rim text, star and centre text. */
describe('generated seal image', () => {
  const A = '潢川县自然资源局';
  const B = '南阳市自然资源和规划局';

  test('sealSvg: the same agency gives the same bytes, another agency different ones', () => {
    assert.equal(sealSvg(A), sealSvg(A));
    assert.notEqual(sealSvg(A), sealSvg(B));
    assert.deepEqual(Buffer.from(sealPng(A, 200)), Buffer.from(sealPng(A, 200)), 'the PNG too');
    assert.notDeepEqual(Buffer.from(sealPng(A, 200)), Buffer.from(sealPng(B, 200)));
  });

  test('sealSvg: every rim character, the five-pointed star and 「不动产登记专用章」 are drawn', () => {
    const svg = sealSvg(A);
    assert.match(svg, new RegExp(`width="${SEAL_DIAMETER_MM}mm" height="${SEAL_DIAMETER_MM}mm"`));
    // Rim: one rotated <text> per character of the agency name, in order.
    const rim = [...svg.matchAll(/<text [^>]*transform="rotate\(([-\d.]+) [^"]*"[^>]*>([^<]+)<\/text>/g)];
    assert.deepEqual(
      rim.map((m) => m[2]),
      [...A],
    );
    const angles = rim.map((m) => Number(m[1]));
    assert.ok(
      angles.every((a, i) => i === 0 || a > angles[i - 1]!),
      'characters run clockwise along the rim',
    );
    assert.ok(Math.abs(angles[0]! + angles.at(-1)!) < 1e-6, 'centred at the top');
    // Star: a closed path of 10 points alternating outer and inner radius around the centre.
    const star = /<path d="M([^"]+)Z"\/>/.exec(svg);
    assert.ok(star, 'a star path');
    const pts = star[1]!.split('L').map((p) => p.split(',').map(Number) as [number, number]);
    assert.equal(pts.length, 10);
    const radii = pts.map(([x, y]) => Math.hypot(x - 210, y - 210));
    for (let i = 0; i < 10; i++) assert.ok(Math.abs(radii[i]! - radii[i % 2]!) < 0.01, 'five outer, five inner points');
    assert.ok(radii[0]! > radii[1]! * 2);
    // Centre text and the ring.
    assert.match(svg, />不动产登记专用章<\/text>/);
    assert.match(svg, /<circle [^>]*fill="none" stroke="#d4000f"/);
    // Markup in a name is escaped, not interpreted.
    assert.match(sealSvg('<x>&'), /&#60;/);
  });

  test('sealPng: a transparent red seal that passes the scanned-image checks', () => {
    const bytes = sealPng(A, 300);
    assert.deepEqual(checkSealPng(bytes), { width: 300, height: 300, hasAlpha: true });
    const img = PNG.sync.read(Buffer.from(bytes));
    const alpha = (x: number, y: number) => img.data[(y * 300 + x) * 4 + 3]!;
    assert.equal(alpha(0, 0), 0, 'corners are transparent');
    assert.equal(alpha(150, 150) > 0, true, 'the star covers the centre');
    const i = (150 * 300 + 150) * 4;
    assert.ok(img.data[i]! > 150 && img.data[i + 1]! < 60 && img.data[i + 2]! < 60, 'red ink');
  });

  test('sealPng is an indexed PNG with per-entry alpha holding exactly the pixels resvg drew, at a third of the size', () => {
    const bytes = sealPng(A, 600);
    assert.equal(bytes[25], 3, 'colour type 3 (indexed)');
    assert.ok(Buffer.from(bytes).includes(Buffer.from('tRNS')), 'with a tRNS chunk');
    const drawn = drawSealSvg(sealSvg(A), 600);
    const decoded = PNG.sync.read(Buffer.from(bytes));
    const straight = PNG.sync.read(Buffer.from(drawn)); // resvg's own RGBA PNG
    assert.equal(drawn[25], 6, 'the reference is RGBA');
    assert.ok(Buffer.from(decoded.data).equals(Buffer.from(straight.data)), 'every pixel keeps its RGBA');
    assert.ok(bytes.length * 2 < drawn.length, `${bytes.length} bytes against ${drawn.length} RGBA`);
  });

  test('indexedPng: round-trips up to 256 RGBA values; more give undefined (the caller keeps the RGBA PNG)', () => {
    const w = 16;
    const h = 16;
    const rgba = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) rgba.set([i, 255 - i, (i * 7) & 0xff, (i * 13) & 0xff], i * 4);
    const png = indexedPng(w, h, rgba);
    assert.ok(png);
    assert.ok(Buffer.from(PNG.sync.read(Buffer.from(png)).data).equals(Buffer.from(rgba)));
    const more = new Uint8Array(17 * 16 * 4);
    for (let i = 0; i < 17 * 16; i++) more.set([i & 0xff, i >> 8, 0, 255], i * 4);
    assert.equal(indexedPng(17, 16, more), undefined, '272 distinct values');
    assert.throws(() => indexedPng(4, 4, new Uint8Array(10)), /size/);
  });
});
