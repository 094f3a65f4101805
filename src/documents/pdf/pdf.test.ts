import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PNG } from 'pngjs';
import {
  BASE_URL,
  fixtureDocument,
  LOCATION,
  NODE_KEY,
  NUMBER,
  QR_INFO_RECT,
} from '../../../test/thirdparty/fixture.js';
import { compareWithGolden } from '../../../test/thirdparty/png-compare.js';
import { pdfInfo, pdfToPngs, pdfToText, qpdfCheck, zbarDecode } from '../../../test/thirdparty/tools.js';
import { sm3 } from '../../crypto/sm3.js';
import { digestOf } from '../digests.js';
import { fontChain, subsetFace } from '../fonts.js';
import { tokenFromUrl, verifyInfoQr } from '../qr/index.js';
import { sealPng } from '../seal-image.js';
import { CONVENIENCE_NOTE, type PdfFontSource, renderPdf } from './index.js';

const DPI = 150;
const SEAL = sealPng('潢川县自然资源局');
const compact = (s: string) => s.replace(/\s+/g, '');

describe('PDF convenience copy', async () => {
  const { doc, queryUrl, infoPayload } = await fixtureDocument();
  const pdf = await renderPdf(doc, { sealPng: SEAL, createdAt: new Date('2024-05-04T02:00:00Z') });

  test('pdftotext finds the certificate number, 坐落 and the convenience note on every page', () => {
    const text = compact(pdfToText(pdf));
    assert.ok(text.includes(compact(NUMBER)), 'certificate number');
    assert.ok(text.includes(LOCATION), '坐落');
    assert.equal(text.split(CONVENIENCE_NOTE).length - 1, doc.pages.length);
  });

  test('qpdf finds no error in the file; every cross-reference entry points at its object', () => {
    assert.match(qpdfCheck(pdf), /No syntax or stream encoding errors/);
    const text = Buffer.from(pdf).toString('latin1');
    const xrefAt = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(text)?.[1]);
    const xref = /^xref\n0 (\d+)\n/.exec(text.slice(xrefAt));
    assert.ok(xref, 'xref table at startxref');
    const count = Number(xref[1]);
    const entries = text
      .slice(xrefAt + xref[0].length)
      .split('\n')
      .slice(0, count);
    assert.equal(entries[0], '0000000000 65535 f ');
    for (let i = 1; i < count; i++) {
      const at = Number(entries[i]!.slice(0, 10));
      assert.equal(text.slice(at, at + `${i} 0 obj`.length), `${i} 0 obj`, `object ${i}`);
    }
  });

  test('PDFs sharing fonts and the seal picture begin with the same bytes; the digest from that prefix is right', async () => {
    const other = await renderPdf(
      { ...doc, pages: [doc.pages[0]!, { ...doc.pages[1]!, items: doc.pages[1]!.items.slice(0, -3) }] },
      { sealPng: SEAL, createdAt: new Date('2024-05-05T02:00:00Z') },
    );
    let same = 0;
    while (same < other.length && pdf[same] === other[same]) same++;
    assert.ok(same > 40_000, `common prefix ${same} bytes`); // the common subsets and the 600 px seal picture
    assert.notDeepEqual(other, pdf);
    for (const out of [pdf, other]) assert.deepEqual(digestOf(out), sm3(out));
  });

  test('metadata names it a convenience copy (zh and en) and carries the title', () => {
    const info = pdfInfo(pdf);
    assert.match(info, /Title:\s+不动产权证书/);
    assert.match(info, /Subject:.*便利副本.*Convenience copy/);
    assert.match(info, /Pages:\s+2/);
  });

  test('zbarimg decodes both QR codes from the rendered page; the 信息二维码 verifies offline', () => {
    const [page1] = pdfToPngs(pdf, 300); // print resolution: the info QR has ~0.3 mm modules
    assert.ok(page1);
    const codes = zbarDecode(page1);
    assert.equal(codes.length, 2, codes.join('\n'));
    assert.ok(codes.includes(queryUrl));
    assert.ok(codes.includes(infoPayload));
    assert.ok(tokenFromUrl(BASE_URL, queryUrl));
    const v = verifyInfoQr(infoPayload, NODE_KEY.publicKey);
    assert.ok(v.ok);
    assert.equal(v.claims.n, NUMBER);
  });

  test('page snapshots match test/golden/png (loosely)', () => {
    const pages = pdfToPngs(pdf, DPI);
    assert.equal(pages.length, 2);
    const px = (mm: number) => Math.round((mm / 25.4) * DPI);
    const infoQr = {
      x: px(QR_INFO_RECT.xMm) - 2,
      y: px(QR_INFO_RECT.yMm) - 2,
      w: px(QR_INFO_RECT.wMm) + 4,
      h: px(QR_INFO_RECT.hMm) + 4,
    };
    pages.forEach((png, i) => {
      const p = PNG.sync.read(Buffer.from(png));
      assert.ok(Math.abs(p.width - px(210)) <= 1, `width ${p.width}`);
      compareWithGolden(png, `test/golden/png/pdf-fixture-p${i + 1}.png`, { ignore: i === 0 ? [infoQr] : [] });
    });
  });

  test('the snapshot comparison is not blind: page 2 does not pass for page 1', {
    skip: Boolean(process.env.BDCERT_UPDATE_GOLDEN),
  }, () => {
    const [, page2] = pdfToPngs(pdf, DPI);
    assert.ok(page2);
    assert.throws(() => compareWithGolden(page2, 'test/golden/png/pdf-fixture-p1.png'), /snapshot differs/);
  });

  test('the seal picture is drawn at the 登记机构（章） anchor', () => {
    const [page1] = pdfToPngs(pdf, 72);
    assert.ok(page1);
    const p = PNG.sync.read(Buffer.from(page1));
    const a = doc.sealAnchor;
    assert.ok(a);
    let red = 0;
    for (let y = Math.round((a.yMm / 25.4) * 72); y < ((a.yMm + a.hMm) / 25.4) * 72; y++) {
      for (let x = Math.round((a.xMm / 25.4) * 72); x < ((a.xMm + a.wMm) / 25.4) * 72; x++) {
        const i = (y * p.width + x) * 4;
        if ((p.data[i] ?? 0) > 180 && (p.data[i + 1] ?? 255) < 90 && (p.data[i + 2] ?? 255) < 90) red++;
      }
    }
    assert.ok(red > 100, `red seal pixels: ${red}`);
  });

  test('the cancelled rendition carries the rotated, translucent 已注销 watermark on every page', async () => {
    const { doc: cancelled } = await fixtureDocument({ cancelled: true });
    const out = await renderPdf(cancelled, { sealPng: SEAL });
    const text = compact(pdfToText(out, { raw: true }));
    assert.equal(text.split('已注销').length - 1, 2);
    const pages = pdfToPngs(out, DPI);
    pages.forEach((png, i) => {
      compareWithGolden(png, `test/golden/png/pdf-fixture-cancelled-p${i + 1}.png`, {
        ignore: i === 0 ? [{ x: 0, y: 0, w: 460, h: 260 }] : [],
      });
    });
  });

  test('rare characters (Extension A and B) print through the shared fallback chain and stay searchable', async () => {
    const text = '权利人：王堃、李喆、赵赟、孙㛃、吉𠮷';
    const page = {
      widthMm: 210,
      heightMm: 297,
      items: [{ kind: 'text', xMm: 20, yMm: 30, sizeMm: 6, text, font: 'serif' } as const],
    };
    const out = await renderPdf({ title: 'x', pages: [page], meta: {} });
    assert.ok(compact(pdfToText(out)).includes(text), pdfToText(out));
  });

  test('a character the font lacks stops the render and is named (never a blank box)', async () => {
    const page = {
      widthMm: 210,
      heightMm: 297,
      items: [{ kind: 'text', xMm: 10, yMm: 10, sizeMm: 4, text: '权利人：王\u{30EDE}', font: 'serif' } as const],
    };
    await assert.rejects(renderPdf({ title: 'x', pages: [page], meta: {} }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'FONT_GLYPH_MISSING');
      assert.match(e.message, /U\+30EDE/);
      return true;
    });
  });

  test('a fallback face draws what the first lacks, in place and searchable', async () => {
    // Two faces from the same TTF: the first deliberately lacks 吉 and 祥, the second has only them. The shared fonts
    // module uses the same mechanism for a real fallback font (e.g. CJK Extension B).
    const fonts: PdfFontSource = {
      async subset(role, text) {
        const rest = [...text].filter((c) => c !== '吉' && c !== '祥').join('');
        const noto = fontChain(role)[0];
        assert.ok(noto);
        return [await subsetFace(noto, rest), await subsetFace(noto, '吉祥')];
      },
    };
    const text = '权利人：吉利祥和';
    const page = {
      widthMm: 210,
      heightMm: 297,
      items: [{ kind: 'text', xMm: 20, yMm: 30, sizeMm: 6, text, font: 'serif' } as const],
    };
    const out = await renderPdf({ title: 'x', pages: [page], meta: {} }, { fonts });
    assert.ok(compact(pdfToText(out)).includes(text), pdfToText(out));
    const withOne = await renderPdf({ title: 'x', pages: [page], meta: {} });
    // Same advance widths from both faces: the page looks the same as with one font (runs continue in place).
    const [a] = pdfToPngs(out, 100);
    const [b] = pdfToPngs(withOne, 100);
    assert.ok(a && b);
    const pa = PNG.sync.read(Buffer.from(a));
    const pb = PNG.sync.read(Buffer.from(b));
    let diff = 0;
    for (let i = 0; i < pa.data.length; i += 4) if (Math.abs((pa.data[i] ?? 0) - (pb.data[i] ?? 0)) > 64) diff++;
    assert.ok(diff < 50, `pixels differing: ${diff}`);
    // A fallback chain that still misses a character is refused, naming it.
    const short: PdfFontSource = {
      subset: async (role, t) => [await subsetFace(fontChain(role)[0] ?? assert.fail('no face'), t.replace(/祥/g, ''))],
    };
    await assert.rejects(renderPdf({ title: 'x', pages: [page], meta: {} }, { fonts: short }), /祥 \(U\+7965\)/);
  });

  test('colours in 0–1 (layouts) and 0–255 (OFD style) both come out red', async () => {
    for (const c of [
      [0.78, 0.05, 0.05],
      [200, 10, 10],
    ] as const) {
      const page = {
        widthMm: 100,
        heightMm: 50,
        items: [
          {
            kind: 'path',
            points: [
              [10, 10],
              [90, 10],
              [90, 40],
              [10, 40],
            ],
            closed: true,
            fill: c,
          } as const,
        ],
      };
      const [png] = pdfToPngs(await renderPdf({ title: 'x', pages: [page], meta: {} }), 50);
      assert.ok(png);
      const p = PNG.sync.read(Buffer.from(png));
      const i = (Math.floor(p.height / 2) * p.width + Math.floor(p.width / 2)) * 4;
      assert.ok(
        (p.data[i] ?? 0) > 180 && (p.data[i + 1] ?? 255) < 40,
        `centre pixel for ${c}: ${p.data[i]},${p.data[i + 1]}`,
      );
    }
  });

  test('an empty document is refused', async () => {
    await assert.rejects(renderPdf({ title: 'x', pages: [], meta: {} }));
  });
});
