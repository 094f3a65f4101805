import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { unzipSync } from 'fflate';
import { PNG } from 'pngjs';
import { DevCa } from '../../src/crypto/dev-ca.js';
import { LocalKeyStore } from '../../src/crypto/keystore.js';
import { makeSeal } from '../../src/crypto/ses.js';
import { Sm2PrivateKey } from '../../src/crypto/sm2.js';
import { layoutCertificate } from '../../src/documents/layout/certificate.js';
import {
  encodeInfoQr,
  renderInfoQr,
  renderQueryQr,
  verificationUrl,
  verifyInfoQr,
} from '../../src/documents/qr/index.js';
import { renderCertificate, type SealMaterial } from '../../src/documents/render.js';
import { sealPng } from '../../src/documents/seal-image.js';
import type { FaceData } from '../../src/domain/face-data.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P, SAMPLE_REGISTRATION_PROOF as R } from '../fixtures/domain/samples.js';
import { loadOfdJs } from './ofdjs.js';
import { redShare, renderWithOfdJs } from './ofdjs-browser.js';
import { compareWithGolden } from './png-compare.js';
import { browserSkipReason, pdfToPngs, pdfToText, zbarDecode } from './tools.js';

/**
 * The project's own renderer end to end, checked by third-party tools (issue 5 "must show"): the two 附件2 sample
 * records, a long-text record and a rare-character record → sealed OFD + PDF. pdftotext finds the number and 坐落,
 * zbarimg decodes both QR codes from a pdftoppm page image and the 信息二维码 verifies offline, page PNGs match the
 * snapshots in test/golden/png, and ofd.js 0.2.6 in Chromium draws the text and the seal and verifies the stamp.
 */
const BASE = 'https://bdc.example.gov.cn';
const TOKEN = 'R29sZGVuVG9rZW5Gb3JUZXN0';
const T0 = new Date('2026-01-01T00:00:00Z');
const SEALED_AT = new Date('2026-11-20T02:00:00Z');
const YEAR = 365 * 86400_000;
const NODE_KEY = Sm2PrivateKey.fromRaw('128b2fa8bd433c6c068c8d803dff79792a519a55171b1b650c23661d15897263');
const DPI = 100;
const compact = (s: string) => s.replace(/\s+/g, '');

const LONG: FaceData = {
  ...P,
  location:
    `${P.location}（东至跃进路，南至春申街道办事处院墙，西至幸福家园小区内部道路，北至三号楼与四号楼之间的消防通道）`.repeat(
      2,
    ),
  coOwnership: '按份共有',
  coOwners: ['李四', '王五', '赵六', '钱七', '孙八', '周九', '吴十', '郑十一'].map((name, i) => ({
    name,
    share: 10,
    relation: i === 0 ? '权利人妻子' : '权利人子女',
  })),
  otherRights: `${P.otherRights}；`.repeat(8),
  notes: '业务号：202611200001。本证书所载不动产系依法继承取得，原不动产权证书已收回作废。'.repeat(6),
};

const RARE: FaceData = {
  ...P,
  holders: [{ name: '王堃', idType: '111', idNumber: '411526198503120026', holderType: '1' }],
  coOwnership: '共同共有',
  coOwners: [
    { name: '李喆', relation: '权利人配偶' },
    { name: '赵赟', relation: '权利人子女' },
    { name: '孙㛃', relation: '权利人子女' },
  ],
  location: '潢川县春申街道𠮷祥路8号堃园小区1号楼101室',
};

/** `pages`: seal page, data page(s) with 续页, 附图 — a page more or less is a layout change, never noise. */
const CASES: readonly { name: string; face: FaceData; pages: number }[] = [
  { name: 'sample-certificate', face: P, pages: 3 },
  { name: 'sample-proof', face: R, pages: 1 },
  { name: 'long-text', face: LONG, pages: 4 },
  { name: 'rare-characters', face: RARE, pages: 3 },
];

/**
 * Snapshot tolerance: the same PDF rasterised by the same pdftoppm gives the same pixels, so only antialiasing noise
 * is allowed (channel difference ≤ 24 on at most 0.02% of a page: ~140 of 700,000 pixels at 100 dpi). A moved line
 * of text or a changed glyph differs on thousands of pixels.
 */
const SNAPSHOT = { tolerance: 24, maxShare: 0.0002 } as const;

const numberOf = (f: FaceData) => (f.kind === 'property-certificate' ? f.certificateNo : f.proofNo);

async function withCodes(face: FaceData): Promise<FaceData> {
  const infoQr = await encodeInfoQr(
    {
      kind: face.kind === 'property-certificate' ? 'certificate' : 'proof',
      identifier: face.identifier,
      number: numberOf(face),
      unitNumber: face.unitNo,
      holder: face.holders.map((h) => h.name).join('、'),
      issueDate: face.registeredOn,
      issuerCode: face.agencyCode,
    },
    NODE_KEY.asSigner(),
  );
  return { ...face, infoQr, queryQr: verificationUrl(BASE, TOKEN) };
}

/** Where the layout puts the info QR (its signature is randomised per run, so snapshots skip that square). */
function infoQrRectPx(face: FaceData): { pageIndex: number; x: number; y: number; w: number; h: number } {
  const doc = layoutCertificate(face, {
    queryQrPng: renderQueryQr(face.queryQr).png,
    infoQrPng: renderInfoQr(face.infoQr).png,
    meta: {},
  });
  for (const [pageIndex, p] of doc.pages.entries()) {
    for (const it of p.items) {
      if (it.kind === 'image' && it.role === 'qr-info') {
        const px = (mm: number) => Math.round((mm / 25.4) * DPI);
        return { pageIndex, x: px(it.xMm) - 3, y: px(it.yMm) - 3, w: px(it.wMm) + 6, h: px(it.hMm) + 6 };
      }
    }
  }
  throw new Error('layout has no info QR');
}

describe('certificates from the project renderer, checked with third-party tools', () => {
  let dir: string;
  let seal: SealMaterial;
  const rendered = new Map<string, { face: FaceData; ofd: Uint8Array; pdf: Uint8Array }>();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bdcert-cert-render-'));
    const keys = new LocalKeyStore(join(dir, 'keys'), new Uint8Array(32).fill(3));
    const ca = await DevCa.loadOrCreate(keys, join(dir, 'keys', 'dev-ca.json'), T0);
    const signerKey = Sm2PrivateKey.generate();
    const signerCertDer = await ca.issue(
      { commonName: '潢川县自然资源局' },
      signerKey.publicKey,
      'signer',
      T0,
      new Date(T0.getTime() + 3 * YEAR),
    );
    const picturePng = sealPng('潢川县自然资源局', 400);
    const sealDer = await makeSeal({
      esId: '4115260012345',
      name: '潢川县自然资源局不动产登记专用章',
      createDate: T0,
      validFrom: T0,
      validTo: new Date(T0.getTime() + 2 * YEAR),
      signerCertsDer: [signerCertDer],
      picture: { type: 'PNG', data: picturePng, widthMm: 42, heightMm: 42 },
      maker: ca.maker,
    });
    seal = { sealDer, signerCertDer, signer: signerKey.asSigner(), picturePng };
    for (const c of CASES) {
      const face = await withCodes(c.face);
      const out = await renderCertificate({
        face,
        seal,
        time: SEALED_AT,
        docId: c.name,
        meta: { 证照编号: numberOf(face) },
      });
      rendered.set(c.name, { face, ofd: out.ofd, pdf: out.pdf });
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const get = (name: string) => rendered.get(name) ?? assert.fail(`not rendered: ${name}`);

  for (const c of CASES) {
    test(`${c.name}: pdftotext finds the number and 坐落`, () => {
      const { face, pdf } = get(c.name);
      const text = compact(pdfToText(pdf, { raw: true }));
      assert.ok(text.includes(compact(numberOf(face))), `number ${numberOf(face)}`);
      assert.ok(text.includes(compact(face.location)), `坐落 ${face.location}`);
    });

    test(`${c.name}: zbarimg decodes both QR codes from the page image; the 信息二维码 verifies offline`, () => {
      const { face, pdf } = get(c.name);
      const [page1] = pdfToPngs(pdf, 300); // print resolution: the info QR has ~0.3 mm modules
      assert.ok(page1);
      const codes = zbarDecode(page1);
      assert.deepEqual(codes, [face.infoQr, face.queryQr].sort());
      const v = verifyInfoQr(face.infoQr, NODE_KEY.publicKey);
      assert.ok(v.ok);
      assert.equal(v.claims.n, numberOf(face));
    });

    test(`${c.name}: page snapshots match test/golden/png`, () => {
      const { face, pdf } = get(c.name);
      const qr = infoQrRectPx(face);
      const pages = pdfToPngs(pdf, DPI);
      assert.equal(pages.length, c.pages, `${c.name}: page count`);
      assert.ok(!existsSync(`test/golden/png/${c.name}-p${c.pages + 1}.png`), 'no golden page beyond the last');
      pages.forEach((png, i) => {
        const p = PNG.sync.read(Buffer.from(png));
        assert.ok(Math.abs(p.width - Math.round((210 / 25.4) * DPI)) <= 1);
        compareWithGolden(png, `test/golden/png/${c.name}-p${i + 1}.png`, {
          ...SNAPSHOT,
          ignore: i === qr.pageIndex ? [qr] : [],
        });
      });
    });
  }

  test("ofd.js's own SES parser and reference digest check accept the real sealed OFD (Node); a changed page fails", async () => {
    const ofdjs = loadOfdJs();
    const files = unzipSync(get('sample-certificate').ofd);
    const sigXml = new TextDecoder().decode(
      files['Doc_0/Signs/Sign_0/Signature.xml'] ?? assert.fail('no Signature.xml'),
    );
    const method = /CheckMethod="([^"]+)"/.exec(sigXml)?.[1] ?? assert.fail('no CheckMethod');
    const refs = [...sigXml.matchAll(/FileRef="\/?([^"]+)"\s*>\s*<ofd:CheckValue>([^<]+)<\/ofd:CheckValue>/g)].map(
      (m) => ({
        path: m[1] ?? '',
        hashed: m[2] ?? '',
      }),
    );
    assert.ok(refs.length >= 5, `references: ${refs.length}`);
    const items = refs.map((r) => ({
      fileData: files[r.path] ?? assert.fail(`missing ${r.path}`),
      hashed: r.hashed,
      checkMethod: method,
    }));
    assert.equal(ofdjs.digestCheck(items), true);
    const page = items.findIndex((_, i) => refs[i]?.path.includes('Content.xml'));
    assert.ok(page >= 0);
    const tampered = items.map((it, i) =>
      i === page ? { ...it, fileData: new Uint8Array([...it.fileData, 0x20]) } : it,
    );
    assert.equal(ofdjs.digestCheck(tampered), false);
    const ses = await ofdjs.parseSesSignature(
      files['Doc_0/Signs/Sign_0/SignedValue.dat'] ?? assert.fail('no SignedValue.dat'),
    );
    assert.equal(ses.verifyRet, true);
    assert.equal(ses.SES_Signature.toSign.eseal.esealInfo.property.name, '潢川县自然资源局不动产登记专用章');
  });

  const skip = browserSkipReason();
  for (const c of CASES) {
    test(`${c.name}: ofd.js 0.2.6 in Chromium draws the text and the seal and verifies the stamp`, {
      skip,
    }, async () => {
      const { face, ofd } = get(c.name);
      const r = await renderWithOfdJs(ofd, { screenshotName: `ofdjs-${c.name}.png` });
      assert.ok(r.ok, r.error);
      const all = compact(r.texts.join(''));
      assert.ok(all.includes(compact(numberOf(face))), `number missing in ofd.js text: ${all.slice(0, 300)}`);
      assert.ok(all.includes(compact(face.location)), '坐落 missing in ofd.js text');
      assert.deepEqual(r.stamps, [{ type: 'png', verifyRet: true }]);
      assert.equal(r.sealImages, 1);
      assert.ok(r.sealBox && redShare(r.screenshot, r.sealBox) > 0.05, 'the seal is visibly red in the screenshot');
    });
  }
});
