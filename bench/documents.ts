// bench/documents — sealed certificates (OFD + PDF) per second on this machine and where the time goes.
// Each certificate has different names, addresses and QR payloads (a real signed 信息二维码, ~430 characters), so
// neither font subsets nor QR codes come from a cache. Two figures:
//   1. one thread: the render pipeline step by step (QR, layout, OFD + subsets, sealing, PDF, and the SM3 of both
//      files that the blob store names them by — the pool's workers compute it too), wall and CPU time;
//   2. the worker pool (src/documents/pool.ts, one worker per core; SM2 signing on the main thread), with the files
//      returned to the main thread, and written by the workers into a blob store as the sealing batch does.
// Run: npm run bench -- documents   (BENCH_N=400 to change the count, BENCH_WORKERS=n for the pool size)
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Sm2PrivateKey } from '../src/crypto/sm2.js';
import { digestHexOf } from '../src/documents/digests.js';
import { subsetTiming } from '../src/documents/fonts.js';
import { layoutCertificate } from '../src/documents/layout/certificate.js';
import { sealPackage } from '../src/documents/ofd/seal.js';
import { buildOfdPackage, zipTiming } from '../src/documents/ofd/writer.js';
import { CONVENIENCE_NOTE, FOOTER_ROLE, renderPdf } from '../src/documents/pdf/index.js';
import { createRenderPool } from '../src/documents/pool.js';
import { encodeInfoQr, renderInfoQr } from '../src/documents/qr/info.js';
import { renderQueryQrLayered } from '../src/documents/qr/query.js';
import { renderCertificate } from '../src/documents/render.js';
import type { PropertyCertificateFace } from '../src/domain/face-data.js';
import { T0, testSeal } from '../test/documents/support.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P } from '../test/fixtures/domain/samples.js';
import { threadSplit, threadTicks } from './lib/threads.js';

const N = Number(process.env.BENCH_N ?? 300);
const WORKERS = Number(process.env.BENCH_WORKERS ?? availableParallelism());
const SURNAMES = '赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜';
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲';
const ROADS = '春申跃进弦山航空北京南京黄河长江人民解放中山建设';
const nodeKey = Sm2PrivateKey.generate().asSigner();
const face = async (i: number): Promise<PropertyCertificateFace> => {
  const holder = `${SURNAMES[i % SURNAMES.length]}${GIVEN[(i * 7) % GIVEN.length]}${GIVEN[(i * 13) % GIVEN.length]}`;
  const number = `豫（2024）潢川县不动产权第${String(i).padStart(7, '0')}号`;
  return {
    ...P,
    certificateNo: number,
    holders: [{ ...P.holders[0]!, name: holder }],
    coOwners: [{ ...P.coOwners![0]!, name: `${SURNAMES[(i * 3) % SURNAMES.length]}${GIVEN[(i * 5) % GIVEN.length]}` }],
    location: `潢川县${ROADS.slice((i * 2) % ROADS.length, ((i * 2) % ROADS.length) + 2)}路${i}号`,
    queryQr: `https://bdc.example.gov.cn/v/${String(i).padStart(24, 'Q')}`,
    infoQr: await encodeInfoQr(
      {
        kind: 'certificate',
        identifier: `${P.identifier.slice(0, -12)}${String(i).padStart(8, '0')}.001`,
        number,
        unitNumber: P.unitNo,
        holder,
        issueDate: P.registeredOn,
        issuerCode: P.agencyCode,
      },
      nodeKey,
    ),
  };
};

const { seal } = await testSeal();
const faces = await Promise.all(Array.from({ length: N }, (_, i) => face(i)));
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const cpuMs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};
console.log(
  `cores: ${cpus().length}, node ${process.version}, N = ${N} certificates (3 pages each); load average ${load()}`,
);

// ---- 1. one thread, step by step ----
// CPU time per step (only this thread works here): wall time on a shared machine says more about the neighbours.
const t = { qr: 0, layout: 0, ofd: 0, seal: 0, sm2: 0, pdf: 0, hash: 0 };
// The SM2 signature's own share of the sealing step: the signer the sealer calls, timed.
const timedSigner = {
  publicKey: seal.signer.publicKey,
  sign: async (data: Uint8Array) => {
    const s = process.cpuUsage();
    const sig = await seal.signer.sign(data);
    t.sm2 += cpuMs(s);
    return sig;
  },
};
const lap = async <R>(k: keyof typeof t, f: () => Promise<R> | R): Promise<R> => {
  const s = process.cpuUsage();
  const r = await f();
  t[k] += cpuMs(s);
  return r;
};
// warm-up: font files, fontkit tables, harfbuzz faces, and the JIT
for (let i = 0; i < 20; i++) await renderCertificate({ face: faces[i]!, seal, time: T0, docId: 'W', meta: {} });
subsetTiming.ms = 0;
zipTiming.ms = 0;
let cpu0 = process.cpuUsage();
let start = performance.now();
for (let i = 0; i < N; i++) {
  const f = faces[i]!;
  // as renderCertificate does: the query QR as a 1-bit symbol with the shared mark picture over it
  const [q, info] = await lap('qr', () => [
    renderQueryQrLayered(f.queryQr, { sizeMm: 24 }),
    renderInfoQr(f.infoQr, { sizeMm: 24 }),
  ]);
  const doc = await lap('layout', () =>
    layoutCertificate(f, {
      queryQrPng: q.qr.png,
      queryQrMark: { ...q.mark, qrWidthPx: q.qr.widthPx },
      infoQrPng: info.png,
      meta: { ZZBS: f.identifier },
    }),
  );
  // as renderCertificate does: the OFD's serif subset carries the PDF footer's characters, so the PDF reuses it
  const pkg = await lap('ofd', () =>
    buildOfdPackage(doc, {
      docId: `B${i}`,
      creationDate: T0,
      signatures: true,
      extraChars: { [FOOTER_ROLE]: CONVENIENCE_NOTE },
    }),
  );
  const ofd = await lap('seal', () =>
    sealPackage(pkg.files, {
      sealDer: seal.sealDer,
      signerCertDer: seal.signerCertDer,
      signer: timedSigner,
      anchor: doc.sealAnchor!,
      time: T0,
      pageIds: pkg.pageIds,
    }),
  );
  const pdf = await lap('pdf', () => renderPdf(doc, { sealPng: seal.picturePng, createdAt: T0 }));
  // as renderCertificate does: from the SM3 state after the files' shared prefixes
  await lap('hash', () => [digestHexOf(ofd), digestHexOf(pdf)]);
}
let total = performance.now() - start;
let cpu = cpuMs(cpu0);
const per = (ms: number) => `${(ms / N).toFixed(2)} ms`;
console.log(`\none thread: ${(N / (total / 1000)).toFixed(1)} sealed certificates (OFD + PDF) per second`);
console.log(`  wall ${per(total)} and CPU ${per(cpu)} per certificate; CPU by step:`);
console.log(`  QR codes (matrix + mask choice, 2 PNGs):      ${per(t.qr)}`);
console.log(`  layout (page model, text measuring):          ${per(t.layout)}`);
console.log(
  `  OFD package (font subsets + XML):             ${per(t.ofd)}, of which the font subsets ${per(subsetTiming.ms)}`,
);
console.log(
  `  sealing (SM3 references, SM2, zip):           ${per(t.seal)}, of which the SM2 signature ${per(t.sm2)}, the zip ${per(zipTiming.ms)}`,
);
console.log(`  PDF (fonts, images, content, objects):       ${per(t.pdf)}`);
console.log(`  SM3 of both files (blob store names):         ${per(t.hash)}`);

// ---- 2. the worker pool ----
// Twice: files returned to this thread (pool.render), and files written by the workers into a blob store as the
// sealing batch has them (pool.renderToStore: the bytes never cross to this thread).
const blobRoot = mkdtempSync(join(tmpdir(), 'bdcert-bench-documents-'));
const pool = createRenderPool({ size: WORKERS, blobRoot });
await pool.warm();
// warm-up: each worker is an isolate of its own whose JIT starts cold, as the one-thread part's did above
await Promise.all(
  faces.slice(0, Math.min(N, 20 * WORKERS)).map((f) => pool.render({ face: f, seal, time: T0, docId: 'W', meta: {} })),
);
for (const mode of ['returned', 'stored'] as const) {
  const elu0 = performance.eventLoopUtilization();
  const threads0 = threadTicks();
  cpu0 = process.cpuUsage();
  start = performance.now();
  let bytes = 0;
  await Promise.all(
    faces.map((f, i) => {
      const o = { face: f, seal, time: T0, docId: `P${i}`, meta: { ZZBS: f.identifier } };
      return mode === 'returned'
        ? pool.render(o).then((r) => {
            bytes += r.ofd.length + r.pdf.length;
          })
        : pool.renderToStore(o).then((r) => {
            bytes += r.ofdBytes + r.pdfBytes;
          });
    }),
  );
  total = performance.now() - start;
  cpu = cpuMs(cpu0);
  const split = threadSplit(threads0, threadTicks(), WORKERS, N);
  const main = performance.eventLoopUtilization(elu0);
  console.log(
    `\npool of ${WORKERS} workers, files ${mode === 'returned' ? 'returned to this thread' : 'written by the workers to a blob store'}: ` +
      `${(N / (total / 1000)).toFixed(1)} sealed certificates (OFD + PDF) per second`,
  );
  console.log(`  wall ${per(total)}, CPU (all threads) ${per(cpu)} per certificate${split ? `: ${split}` : ''}`);
  console.log(
    `  main thread busy ${(main.utilization * 100).toFixed(0)}% (SM2 signing, messages): ${per(main.active)} per certificate`,
  );
  console.log(`  output ${(bytes / N / 1024).toFixed(0)} KiB per certificate (OFD + PDF); load average ${load()}`);
}
await pool.close();
rmSync(blobRoot, { recursive: true, force: true });
