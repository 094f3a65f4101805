import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { PNG } from 'pngjs';
import QRCode from 'qrcode';
import { zbarDecode } from '../../../test/thirdparty/tools.js';
import { Sm2PrivateKey } from '../../crypto/sm2.js';
import { pngStreamInfo } from '../png.js';
import {
  certificateQrCodes,
  encodeInfoQr,
  type InfoQrFacts,
  isVerificationToken,
  mintVerificationToken,
  registrationMarkPng,
  registrationMarkSvg,
  renderInfoQr,
  renderQueryQr,
  renderQueryQrLayered,
  tokenFromUrl,
  verificationUrl,
  verifyInfoQr,
} from './index.js';
import { maskScores, qrMatrix } from './raster.js';

/** qrcode's own penalty rules (lib/core/mask-pattern.js; not part of its typed API): the reference for ours. */
interface BitMatrixLike {
  readonly size: number;
}
const qrcodeMask = createRequire(import.meta.url)('qrcode/lib/core/mask-pattern.js') as Record<
  'getPenaltyN1' | 'getPenaltyN2' | 'getPenaltyN3' | 'getPenaltyN4',
  (m: BitMatrixLike) => number
>;

const BASE = 'https://bdc.example.gov.cn/ecert';
const FACTS: InfoQrFacts = {
  kind: 'certificate',
  identifier: '1.2.156.3005.2.11100000000013338W.11411526MB1234567X.豫2024潢川县不动产权第0001234号.001',
  number: '豫（2024）潢川县不动产权第0001234号',
  unitNumber: '411526001001GB00001F00010001',
  holder: '张三、欧阳娜娜',
  issueDate: '2024-05-04',
  issuerCode: '11411526MB1234567X',
};

describe('查询二维码', () => {
  test('tokens are 144-bit base64url and distinct', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const t = mintVerificationToken();
      assert.ok(isVerificationToken(t), t);
      assert.equal(Buffer.from(t, 'base64url').length, 18);
      seen.add(t);
    }
    assert.equal(seen.size, 2000);
    assert.equal(isVerificationToken('short'), false);
    assert.equal(isVerificationToken(`${'a'.repeat(23)}/`), false);
  });

  test('URL on BASE_URL, token recovered, foreign URLs refused', () => {
    const t = mintVerificationToken();
    assert.equal(verificationUrl(`${BASE}/`, t), `${BASE}/v/${t}`);
    assert.equal(tokenFromUrl(BASE, `${BASE}/v/${t}`), t);
    assert.equal(tokenFromUrl(BASE, `https://evil.example/ecert/v/${t}`), undefined);
    assert.throws(() => verificationUrl('ftp://x', t));
    assert.throws(() => verificationUrl(BASE, 'not-a-token'));
  });

  test('zbarimg reads the URL through the centre mark (error correction H)', () => {
    const url = verificationUrl(BASE, mintVerificationToken());
    const img = renderQueryQr(url, { sizeMm: 25, dpi: 300 });
    const png = PNG.sync.read(Buffer.from(img.png));
    assert.equal(png.width, img.widthPx);
    assert.ok(png.width >= (25 / 25.4) * 300, 'at least the asked resolution');
    // The mark really is there: a few percent of the pixels carry the mark's blue, which no QR module has.
    let blue = 0;
    for (let i = 0; i < png.data.length; i += 4) {
      if (png.data[i] === 0x1d && png.data[i + 1] === 0x4e && png.data[i + 2] === 0x89) blue++;
    }
    const share = blue / (png.width * png.height);
    assert.ok(share > 0.01 && share < 0.06, `mark share ${share}`);
    assert.deepEqual(zbarDecode(img.png), [url]);
  });

  test('the layered form (1-bit symbol + shared mark picture over it) shows exactly the one-picture form', () => {
    const url = verificationUrl(BASE, mintVerificationToken());
    const one = PNG.sync.read(Buffer.from(renderQueryQr(url, { sizeMm: 24 }).png));
    const { qr, mark } = renderQueryQrLayered(url, { sizeMm: 24 });
    const sym = PNG.sync.read(Buffer.from(qr.png));
    const top = PNG.sync.read(Buffer.from(mark.png));
    assert.equal(sym.width, one.width);
    assert.equal(top.width, mark.sidePx);
    assert.ok(mark.xPx > 0 && mark.xPx + mark.sidePx < sym.width, 'the mark lies inside the symbol');
    // Composite: the mark picture is opaque (over white), so it replaces the symbol's pixels where it lies.
    let differ = 0;
    for (let y = 0; y < sym.height; y++)
      for (let x = 0; x < sym.width; x++) {
        const inMark = x >= mark.xPx && x < mark.xPx + mark.sidePx && y >= mark.yPx && y < mark.yPx + mark.sidePx;
        const src = inMark ? top : sym;
        const i = inMark ? ((y - mark.yPx) * top.width + (x - mark.xPx)) * 4 : (y * sym.width + x) * 4;
        const j = (y * one.width + x) * 4;
        for (let c = 0; c < 3; c++) if (src.data[i + c] !== one.data[j + c]) differ++;
      }
    assert.equal(differ, 0, 'pixel for pixel the same picture');
    // The 1-bit symbol alone still reads (the mark is a picture over it, not needed to scan), and the mark's bytes
    // are one shared object per size: the same in every certificate, hashed once.
    assert.deepEqual(zbarDecode(qr.png), [url]);
    const again = renderQueryQrLayered(verificationUrl(BASE, mintVerificationToken()), { sizeMm: 24 });
    assert.equal(again.mark.png, mark.png);
    assert.ok(qr.png.length < renderQueryQr(url, { sizeMm: 24 }).png.length / 2);
  });

  test('a mark too large for H correction is refused', () => {
    assert.throws(() => renderQueryQr(`${BASE}/v/${'A'.repeat(24)}`, { markFraction: 0.4 }));
  });

  test('the mark exists as SVG and PNG', () => {
    assert.match(registrationMarkSvg(), /^<svg [^>]*viewBox="0 0 100 100"/);
    const p = PNG.sync.read(Buffer.from(registrationMarkPng(64)));
    assert.equal(p.width, 64);
  });
});

describe('信息二维码', () => {
  const key = Sm2PrivateKey.generate();
  const other = Sm2PrivateKey.generate();

  test('round trip: zbarimg decodes it, the signature verifies offline, holder masked', async () => {
    const payload = await encodeInfoQr(FACTS, key.asSigner());
    assert.match(payload, /^BDC1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const img = renderInfoQr(payload);
    const [scanned] = zbarDecode(img.png);
    assert.equal(scanned, payload);
    const v = verifyInfoQr(scanned ?? '', key.publicKey);
    assert.ok(v.ok, JSON.stringify(v));
    assert.equal(v.claims.h, '张*、欧*');
    assert.equal(v.claims.d, '20240504');
    assert.equal(v.claims.n, FACTS.number);
    assert.equal(v.claims.t, 'Q');
    assert.ok(
      !payload.includes('张三') &&
        !Buffer.from(payload.split('.')[1] ?? '', 'base64url')
          .toString()
          .includes('张三'),
    );
  });

  test('a changed fact, a foreign key, a forged signature and garbage are refused with their code', async () => {
    const payload = await encodeInfoQr(FACTS, key.asSigner());
    const [, body, sig] = payload.split('.');
    const claims = JSON.parse(Buffer.from(body ?? '', 'base64url').toString());
    claims.n = '豫（2024）潢川县不动产权第0009999号';
    const forgedBody = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const r1 = verifyInfoQr(`BDC1.${forgedBody}.${sig}`, key.publicKey);
    assert.equal(r1.ok ? 'ok' : r1.code, 'INFO_QR_BAD_SIGNATURE');

    const r2 = verifyInfoQr(payload, other.publicKey);
    assert.equal(r2.ok ? 'ok' : r2.code, 'INFO_QR_KEY_MISMATCH');

    // Same facts signed by the other key but claiming our key id: signature check catches it.
    const otherPayload = await encodeInfoQr(FACTS, { publicKey: key.publicKey, sign: async (d) => other.sign(d) });
    const r3 = verifyInfoQr(otherPayload, key.publicKey);
    assert.equal(r3.ok ? 'ok' : r3.code, 'INFO_QR_BAD_SIGNATURE');

    const spaced = Buffer.from(JSON.stringify(claims, null, 1)).toString('base64url');
    const r4 = verifyInfoQr(`BDC1.${spaced}.${sig}`, key.publicKey);
    assert.equal(r4.ok ? 'ok' : r4.code, 'INFO_QR_NOT_CANONICAL');

    const r5 = verifyInfoQr(payload.replace('BDC1.', 'BDC2.'), key.publicKey);
    assert.equal(r5.ok ? 'ok' : r5.code, 'INFO_QR_VERSION');
    for (const junk of ['', 'hello', 'BDC1.', 'BDC1.a.b.c', 'BDC1.!!.??']) {
      const r = verifyInfoQr(junk, key.publicKey);
      assert.equal(r.ok, false, junk);
    }
  });

  test('a proof (登记证明) is typed M and a bad date is refused', async () => {
    const p = await encodeInfoQr({ ...FACTS, kind: 'proof', issueDate: '20200504' }, key.asSigner());
    const v = verifyInfoQr(p, key.publicKey);
    assert.ok(v.ok);
    assert.equal(v.claims.t, 'M');
    await assert.rejects(encodeInfoQr({ ...FACTS, issueDate: '2020/5/4' }, key.asSigner()));
  });
});

describe('certificateQrCodes', () => {
  test('gives both codes for a face, each decodable and consistent with its payload', async () => {
    const key = Sm2PrivateKey.generate();
    const token = mintVerificationToken();
    const c = await certificateQrCodes({ baseUrl: BASE, token, facts: FACTS, signer: key.asSigner(), sizeMm: 28 });
    assert.equal(c.queryUrl, `${BASE}/v/${token}`);
    assert.deepEqual(zbarDecode(c.query.png), [c.queryUrl]);
    assert.deepEqual(zbarDecode(c.info.png), [c.infoPayload]);
    assert.ok(verifyInfoQr(c.infoPayload, key.publicKey).ok);
  });
});

describe('QR symbols and pictures', () => {
  test('the mask chosen is the one qrcode chooses (same ISO 18004 penalty), for every level and many sizes', () => {
    for (let i = 0; i < 120; i++) {
      const text = randomBytes(1 + ((i * 7) % 460)).toString('base64url');
      for (const level of ['L', 'M', 'Q', 'H'] as const) {
        const ref = QRCode.create([{ data: new TextEncoder().encode(text), mode: 'byte' }], {
          errorCorrectionLevel: level,
        });
        const mine = qrMatrix(text, level);
        assert.equal(mine.version, ref.version);
        assert.deepEqual(mine.modules, ref.modules.data, `${level} ${text.length} characters`);
      }
    }
  });

  test('every version 1–40 at every level: the symbol equals qrcode’s, at the largest payload the version holds', () => {
    const versions = createRequire(import.meta.url)('qrcode/lib/core/version.js') as {
      getCapacity(v: number, level: unknown, mode: unknown): number;
    };
    const mode = createRequire(import.meta.url)('qrcode/lib/core/mode.js') as { BYTE: unknown };
    const levelOf = createRequire(import.meta.url)('qrcode/lib/core/error-correction-level.js') as Record<
      string,
      unknown
    >;
    for (const level of ['L', 'M', 'Q', 'H'] as const) {
      for (let v = 1; v <= 40; v++) {
        const text = 'A'.repeat(versions.getCapacity(v, levelOf[level], mode.BYTE));
        const ref = QRCode.create([{ data: new TextEncoder().encode(text), mode: 'byte' }], {
          errorCorrectionLevel: level,
        });
        const mine = qrMatrix(text, level);
        assert.equal(mine.version, v);
        assert.equal(ref.version, v);
        assert.deepEqual(mine.modules, ref.modules.data, `version ${v}, level ${level}`);
      }
    }
  });

  test('every candidate mask scores what qrcode scores it (N1 + N2 + N3 + N4 on the masked symbol)', () => {
    let compared = 0;
    for (let i = 0; i < 60; i++) {
      const text = randomBytes(1 + ((i * 13) % 700)).toString('base64url');
      for (const level of ['L', 'M', 'Q', 'H'] as const) {
        const mine = maskScores(text, level);
        for (let p = 0; p < 8; p++) {
          const { modules } = QRCode.create([{ data: new TextEncoder().encode(text), mode: 'byte' }], {
            errorCorrectionLevel: level,
            maskPattern: p as QRCode.QRCodeMaskPattern,
          });
          const ref =
            qrcodeMask.getPenaltyN1(modules) +
            qrcodeMask.getPenaltyN2(modules) +
            qrcodeMask.getPenaltyN3(modules) +
            qrcodeMask.getPenaltyN4(modules);
          assert.equal(mine[p], ref, `mask ${p}, ${level}, ${text.length} characters (version ${modules.size})`);
          compared++;
        }
      }
    }
    assert.equal(compared, 60 * 4 * 8);
  });

  test('the PNGs are 1-bit grey (信息二维码) and 8-bit palette (查询二维码), and the PDF can carry them undecoded', () => {
    const url = verificationUrl(BASE, mintVerificationToken());
    const q = pngStreamInfo(renderQueryQr(url, { sizeMm: 24 }).png);
    assert.equal(q?.colorType, 3);
    assert.equal(q?.bitDepth, 8);
    const info = pngStreamInfo(renderInfoQr(`BDC1.${'x'.repeat(400)}`, { sizeMm: 24 }).png);
    assert.equal(info?.colorType, 0);
    assert.equal(info?.bitDepth, 1);
    // a picture with alpha is not carried as is
    assert.equal(pngStreamInfo(registrationMarkPng(32)), undefined);
  });
});
