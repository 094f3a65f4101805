// bench/documents — sealed certificates (OFD + PDF) per second on this machine and where the time goes.
// Each certificate has different names and addresses, so font subsets are not served from the cache.
// Run: npm run bench -- documents   (BENCH_N=200 to change the count)
import { cpus } from 'node:os';
import { sharedFontSource } from '../src/documents/fonts.js';
import { layoutCertificate } from '../src/documents/layout/certificate.js';
import { sealPackage } from '../src/documents/ofd/seal.js';
import { buildOfdPackage } from '../src/documents/ofd/writer.js';
import { renderPdf } from '../src/documents/pdf/index.js';
import { renderInfoQr } from '../src/documents/qr/info.js';
import { renderQueryQr } from '../src/documents/qr/query.js';
import type { PropertyCertificateFace } from '../src/domain/face-data.js';
import { T0, testSeal } from '../test/documents/support.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P } from '../test/fixtures/domain/samples.js';

const N = Number(process.env.BENCH_N ?? 100);
const SURNAMES = '赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜';
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲';
const ROADS = '春申跃进弦山航空北京南京黄河长江人民解放中山建设';
const face = (i: number): PropertyCertificateFace => ({
  ...P,
  holders: [
    {
      ...P.holders[0]!,
      name: `${SURNAMES[i % SURNAMES.length]}${GIVEN[(i * 7) % GIVEN.length]}${GIVEN[(i * 13) % GIVEN.length]}`,
    },
  ],
  coOwners: [{ ...P.coOwners![0]!, name: `${SURNAMES[(i * 3) % SURNAMES.length]}${GIVEN[(i * 5) % GIVEN.length]}` }],
  location: `潢川县${ROADS.slice((i * 2) % ROADS.length, ((i * 2) % ROADS.length) + 2)}路${i}号`,
});

const { seal } = await testSeal();
const t = { qr: 0, layout: 0, ofd: 0, seal: 0, pdf: 0 };
const lap = async <R>(k: keyof typeof t, f: () => Promise<R> | R): Promise<R> => {
  const s = performance.now();
  const r = await f();
  t[k] += performance.now() - s;
  return r;
};
// warm-up: font files, fontkit tables, harfbuzz
for (let i = 0; i < 3; i++) {
  const doc = layoutCertificate(face(1000 + i), {
    queryQrPng: renderQueryQr(P.queryQr).png,
    infoQrPng: renderInfoQr(P.infoQr).png,
  });
  await buildOfdPackage(doc, { docId: 'W', creationDate: T0 });
}
const start = performance.now();
for (let i = 0; i < N; i++) {
  const f = face(i);
  const [q, info] = await lap('qr', () => [
    renderQueryQr(`${f.queryQr}${i}`, { sizeMm: 24 }),
    renderInfoQr(`${f.infoQr}${i}`, { sizeMm: 24 }),
  ]);
  const doc = await lap('layout', () =>
    layoutCertificate(f, { queryQrPng: q!.png, infoQrPng: info!.png, meta: { ZZBS: f.identifier } }),
  );
  const pkg = await lap('ofd', () => buildOfdPackage(doc, { docId: `B${i}`, creationDate: T0, signatures: true }));
  await lap('seal', () =>
    sealPackage(pkg.files, {
      sealDer: seal.sealDer,
      signerCertDer: seal.signerCertDer,
      signer: seal.signer,
      anchor: doc.sealAnchor!,
      time: T0,
      pageIds: pkg.pageIds,
    }),
  );
  await lap('pdf', () => renderPdf(doc, { fonts: sharedFontSource, sealPng: seal.picturePng, createdAt: T0 }));
}
const total = performance.now() - start;
const per = (ms: number) => `${(ms / N).toFixed(1)} ms`;
console.log(
  `cores: ${cpus().length}, node ${process.version}, ${N} sealed certificates (3 pages: seal page, data page, 附图), one process`,
);
console.log(`sealed certificates (OFD + PDF) per second: ${(N / (total / 1000)).toFixed(1)}  (${per(total)} each)`);
console.log(`  QR codes (2 PNGs):                     ${per(t.qr)}`);
console.log(`  layout (page model, text measuring):   ${per(t.layout)}`);
console.log(`  OFD package (font subsets + XML):      ${per(t.ofd)}`);
console.log(`  sealing (SM3 references, SM2, zip):    ${per(t.seal)}`);
console.log(`  PDF (subsets again, pdf-lib, images):  ${per(t.pdf)}`);
