import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { sm3Hex } from '../../src/crypto/sm3.js';
import { measureText } from '../../src/documents/fonts.js';
import { layoutCertificate } from '../../src/documents/layout/certificate.js';
import { buildOfdPackage } from '../../src/documents/ofd/writer.js';
import type { DocumentModel, TextItem } from '../../src/documents/page-model.js';
import { renderInfoQr } from '../../src/documents/qr/info.js';
import { renderQueryQr } from '../../src/documents/qr/query.js';
import { renderCertificate } from '../../src/documents/render.js';
import { verifyOfd } from '../../src/documents/verify.js';
import type { FaceData, PropertyCertificateFace } from '../../src/domain/face-data.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P, SAMPLE_REGISTRATION_PROOF as R } from '../fixtures/domain/samples.js';
import { T0, testSeal } from './support.js';

const LONG: PropertyCertificateFace = {
  ...P,
  location: '潢川县春申街道跃进路与弦山路交叉口东北角幸福家园小区'.repeat(4),
  otherRights: Array.from(
    { length: 40 },
    (_, i) =>
      `第${i + 1}项：专有建筑面积86.20平方米，分摊建筑面积12.36平方米，房屋结构钢筋混凝土结构，所在层${i + 2}层。`,
  ).join(''),
  notes: '附记：'.concat('本不动产已设立抵押权，抵押权人为中国建设银行股份有限公司潢川支行。'.repeat(12)),
  coOwnership: '按份共有 10%',
  coOwners: Array.from({ length: 9 }, (_, i) => ({
    name: `共有人${'甲乙丙丁戊己庚辛壬'[i]}`,
    share: 10,
    relation: '亲属',
  })),
};
const RARE: PropertyCertificateFace = {
  ...P,
  holders: [{ ...P.holders[0]!, name: '王堃喆' }],
  coOwners: [{ ...P.coOwners![0]!, name: '李赟㛃' }],
  location: '潢川县𠮷祥路8号',
};
const GOLDEN = { 'sample-certificate': P, 'sample-proof': R, 'long-text': LONG, 'rare-characters': RARE } as const;
/** Seal page, data page(s) with 续页, 附图 where the record has boundary points. */
const GOLDEN_PAGES: Record<keyof typeof GOLDEN, number> = {
  'sample-certificate': 3,
  'sample-proof': 1,
  'long-text': 5,
  'rare-characters': 3,
};

function layout(face: FaceData): DocumentModel {
  return layoutCertificate(face, {
    queryQrPng: renderQueryQr(face.queryQr, { sizeMm: 24 }).png,
    infoQrPng: renderInfoQr(face.infoQr, { sizeMm: 24 }).png,
    meta: { ZZBS: face.identifier },
  });
}

describe('OFD certificates', () => {
  let material: Awaited<ReturnType<typeof testSeal>>;
  before(async () => {
    material = await testSeal();
  });

  test('golden: the unsigned package of each record is stable (hash of every file outside Signs/)', async () => {
    const path = 'test/golden/ofd-hashes.json';
    const expected = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>) : {};
    const got: Record<string, string> = {};
    for (const [name, face] of Object.entries(GOLDEN)) {
      const doc = layout(face);
      const pkg = await buildOfdPackage(doc, { docId: 'GOLDEN', creationDate: T0, signatures: true });
      // the page count is asserted on its own: a page more or less is a layout change whatever the hashes say
      assert.equal(doc.pages.length, GOLDEN_PAGES[name as keyof typeof GOLDEN], `${name}: pages`);
      assert.equal([...pkg.files.keys()].filter((p) => p.endsWith('/Content.xml')).length, doc.pages.length);
      got[name] = sm3Hex([...pkg.files.entries()].map(([p, b]) => `${p}:${sm3Hex(b)}`).join('\n'));
    }
    if (process.env.UPDATE_GOLDEN) writeFileSync(path, `${JSON.stringify(got, null, 2)}\n`);
    else assert.deepEqual(got, expected, 'rendering changed: inspect, then UPDATE_GOLDEN=1 npm test -- test/documents');
  });

  test('long values wrap and continue on 续页: nothing leaves the page, no two text lines overlap', () => {
    const doc = layout(LONG);
    assert.ok(doc.pages.length >= 4, `expected continuation pages, got ${doc.pages.length}`);
    const all = doc.pages.flatMap((p) =>
      p.items
        .filter((i): i is TextItem => i.kind === 'text' && !i.rotateDeg)
        .map((t) => ({ t, w: p.widthMm, h: p.heightMm, page: p })),
    );
    for (const { t, w, h } of all) {
      assert.ok(
        t.xMm >= 0 && t.xMm < w && t.yMm - t.sizeMm >= 0 && t.yMm <= h,
        `inside the page: ${t.text.slice(0, 10)}`,
      );
    }
    for (const p of doc.pages) {
      const texts = p.items.filter((i): i is TextItem => i.kind === 'text' && !i.rotateDeg);
      for (const t of texts)
        assert.ok(
          t.xMm + measureText(t.text, t.font, t.sizeMm) <= p.widthMm - 5,
          `no text runs off the right edge: ${t.text.slice(0, 12)}`,
        );
      for (let i = 0; i < texts.length; i++) {
        for (let j = i + 1; j < texts.length; j++) {
          const a = texts[i]!;
          const b = texts[j]!;
          const wa = measureText(a.text, a.font, a.sizeMm);
          const wb = measureText(b.text, b.font, b.sizeMm);
          const overlapX = a.xMm < b.xMm + wb && b.xMm < a.xMm + wa;
          const overlapY = a.yMm - a.sizeMm < b.yMm && b.yMm - b.sizeMm < a.yMm;
          assert.ok(!(overlapX && overlapY), `overlap: "${a.text.slice(0, 8)}" / "${b.text.slice(0, 8)}"`);
        }
      }
    }
    // every character of the long values is printed somewhere
    const printed = all.map((x) => x.t.text).join('');
    for (const v of [LONG.otherRights, LONG.notes!])
      assert.ok(
        printed.replace(/\s/g, '').includes(v.replace(/\s/g, '').slice(-30)),
        'the end of a long value is printed',
      );
  });

  test('rare characters print with the fallback faces; an uncovered one stops the render naming it', async () => {
    const r = await renderCertificate({ face: RARE, seal: material.seal, time: T0, docId: 'RARE', meta: {} });
    const files = unzipSync(r.ofd);
    const fonts = Object.keys(files).filter((k) => k.endsWith('.ttf'));
    assert.ok(fonts.length >= 2, 'a fallback face is embedded for 𠮷');
    const pub = new TextDecoder().decode(files['Doc_0/PublicRes.xml']);
    assert.match(pub, /HanaMin[AB]/);
    const content = Object.entries(files)
      .filter(([k]) => k.endsWith('Content.xml'))
      .map(([, v]) => new TextDecoder().decode(v))
      .join('');
    for (const ch of ['堃', '喆', '赟', '㛃', '𠮷']) assert.ok(content.includes(ch), ch);
    await assert.rejects(
      renderCertificate({
        face: { ...RARE, location: '潢川县\u{F0001}路' },
        seal: material.seal,
        time: T0,
        docId: 'X',
        meta: {},
      }),
      (e: Error & { code?: string; field?: string }) =>
        e.code === 'FONT_GLYPH_MISSING' && /U\+F0001/.test(e.message) && e.field === 'location',
    );
  });

  describe('sealed file verification and tampering', () => {
    let ofd: Uint8Array;
    before(async () => {
      ofd = (
        await renderCertificate({
          face: P,
          seal: material.seal,
          time: T0,
          docId: 'T',
          meta: { ZZBS: P.identifier, ZZBH: P.certificateNo },
        })
      ).ofd;
    });
    const verify = (bytes: Uint8Array, extra = {}) => verifyOfd(bytes, { trustedRoots: material.roots, ...extra });
    const failedOf = async (bytes: Uint8Array) =>
      (await verify(bytes)).checks.filter((c) => c.status === 'failed').map((c) => c.id);
    const tamper = (path: string, mutate: (b: Uint8Array) => Uint8Array) => {
      const files = unzipSync(ofd);
      assert.ok(files[path], path);
      files[path] = mutate(files[path]!) as Uint8Array<ArrayBuffer>;
      return zipSync(files);
    };
    const flip = (at: (b: Uint8Array) => number) => (b: Uint8Array) => {
      const c = new Uint8Array(b);
      const i = at(b);
      c[i] = c[i]! ^ 0x01;
      return c;
    };

    test('an untouched sealed file passes every check', async () => {
      const v = await verify(ofd);
      assert.equal(v.valid, true, JSON.stringify(v.checks.filter((c) => c.status === 'failed')));
      assert.equal(v.seal?.name, '潢川县自然资源局不动产登记专用章');
    });
    test('one changed byte in a page fails the digest check naming the page', async () => {
      const bad = tamper(
        'Doc_0/Pages/Page_1/Content.xml',
        flip((b) => Buffer.from(b).indexOf(Buffer.from('张三'))),
      );
      const v = await verify(bad);
      assert.equal(v.valid, false);
      const c = v.checks.find((x) => x.id === 'references')!;
      assert.equal(c.status, 'failed');
      assert.match(c.reason ?? '', /Page_1\/Content\.xml/);
    });
    test('one changed byte in a resource (font) fails the digest check', async () => {
      const files = unzipSync(ofd);
      const font = Object.keys(files).find((k) => k.endsWith('.ttf'))!;
      const v = await verify(
        tamper(
          font,
          flip((b) => b.length >> 1),
        ),
      );
      assert.match(v.checks.find((x) => x.id === 'references')!.reason ?? '', new RegExp(font.replace(/\./g, '\\.')));
    });
    test('one changed byte in Seal.esl fails the digest and the seal-file checks', async () => {
      const failed = await failedOf(
        tamper(
          'Doc_0/Signs/Sign_0/Seal.esl',
          flip((b) => b.length - 3),
        ),
      );
      assert.ok(failed.includes('references') && failed.includes('seal-file'), failed.join());
    });
    test('one changed byte in Signature.xml fails the signature data hash', async () => {
      const failed = await failedOf(
        tamper(
          'Doc_0/Signs/Sign_0/Signature.xml',
          flip((b) => Buffer.from(b).indexOf(Buffer.from('Boundary=')) + 11),
        ),
      );
      assert.ok(failed.includes('ses') && failed.includes('ses.data-hash'), failed.join());
    });
    test('an added file that the signature does not cover is refused', async () => {
      const files = unzipSync(ofd);
      files['Doc_0/Pages/Page_9/Content.xml'] = strToU8('<x/>');
      assert.ok((await failedOf(zipSync(files))).includes('coverage'));
    });
    test('an unsealed file fails', async () => {
      const pkg = await buildOfdPackage(layout(P), { docId: 'U', creationDate: T0 });
      const files = Object.fromEntries(pkg.files);
      const v = await verify(zipSync(files));
      assert.equal(v.valid, false);
      assert.equal(v.checks.find((c) => c.id === 'signature-present')?.status, 'failed');
    });
    test('a file sealed with an expired seal fails; a revoked seal fails against the registry', async () => {
      const expired = await testSeal({
        from: new Date(T0.getTime() - 400 * 86400_000),
        to: new Date(T0.getTime() - 86400_000),
      });
      const old = await renderCertificate({ face: P, seal: expired.seal, time: T0, docId: 'E', meta: {} });
      const v = await verifyOfd(old.ofd, { trustedRoots: expired.roots });
      assert.equal(v.valid, false);
      assert.equal(v.checks.find((c) => c.id === 'ses.seal-validity')?.status, 'failed');
      const revoked = await verify(ofd, {
        sealLookup: async () => ({ status: 'revoked', since: new Date(T0.getTime() - 1000) }),
      });
      assert.equal(revoked.valid, false);
      assert.equal(revoked.checks.find((c) => c.id === 'seal-registry')?.status, 'failed');
      const revokedLater = await verify(ofd, {
        sealLookup: async () => ({ status: 'revoked', since: new Date(T0.getTime() + 86400_000) }),
      });
      assert.equal(revokedLater.valid, true, 'a seal revoked after use still verifies what it sealed');
    });
    test('with the record: a cancelled certificate or different metadata fails', async () => {
      const ok = await verify(ofd, {
        recordLookup: async () => ({ status: 'issued', statusName: '有效', meta: { ZZBH: P.certificateNo } }),
      });
      assert.equal(ok.valid, true);
      const cancelled = await verify(ofd, {
        recordLookup: async () => ({ status: 'cancelled', statusName: '已注销', meta: {} }),
      });
      assert.match(cancelled.checks.find((c) => c.id === 'record')?.reason ?? '', /已注销/);
      const meta = await verify(ofd, {
        recordLookup: async () => ({
          status: 'issued',
          statusName: '有效',
          meta: { ZZBH: '豫(2026)潢川县不动产权第0009999号' },
        }),
      });
      assert.match(meta.checks.find((c) => c.id === 'record')?.reason ?? '', /ZZBH/);
    });
  });
});
