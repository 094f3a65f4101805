import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { unzipSync } from 'fflate';
import { verifyOfd } from '../../src/documents/verify.js';
import type { FaceInput } from '../../src/domain/face-data.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P, SAMPLE_REGISTRATION_PROOF as R } from '../fixtures/domain/samples.js';
import { type AppFixture, appFixture, auth } from '../support/app.js';
import { TEST_BACKEND } from '../support/store.js';

const UNIT = '411526001002GB00123F00010203';
const OWNER_A = { name: '张三', idType: '111', idNumber: '11010519491231002X', holderType: '1' };
const OWNER_B = { name: '王五', idType: '111', idNumber: '411526198503120026', holderType: '1' };

function propertyFace(holder: typeof OWNER_A, registeredOn: string): FaceInput {
  const { certificateNo: _a, identifier: _b, infoQr: _c, queryQr: _d, coOwners: _e, ...rest } = P;
  return { ...rest, holders: [holder], coOwnership: '单独所有', registeredOn, unitNo: UNIT };
}

describe(`register → certificates end to end [${TEST_BACKEND}]`, () => {
  let fx: AppFixture;
  let registrar: string;
  let sealer: string;
  before(async () => {
    fx = await appFixture();
    registrar = (await fx.staff('411526', 'hc-registrar', ['registrar'])).token;
    sealer = (await fx.staff('411526', 'hc-sealer', ['sealing-clerk'])).token;
  });
  after(async () => fx.close());

  const record = (body: object) =>
    fx.app.inject({ method: 'POST', url: '/api/v1/register/entries', headers: auth(registrar), payload: body });
  const sealAll = async () => {
    const r = await fx.app.inject({ method: 'POST', url: '/api/v1/seal-batches', headers: auth(sealer), payload: {} });
    assert.equal(r.statusCode, 202, r.body);
    // The route runs the batch in the background; the clerk's screen polls its progress.
    for (let i = 0; i < 200; i++) {
      const p = await fx.app.inject({ url: `/api/v1/seal-batches/${r.json().id}`, headers: auth(sealer) });
      assert.equal(p.statusCode, 200);
      if (p.json().status !== 'running') return p.json() as { status: string; sealed: number; total: number };
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error('batch did not finish');
  };
  const cert = (id: string) =>
    fx.store.db.selectFrom('certificates').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  let firstId = '';
  test('首次登记 yields a pending 证书; sealing issues it with a verifiable sealed OFD and a PDF', async () => {
    const r = await record({
      businessNo: '202611200001',
      registrationType: '100',
      recordedAt: '2026-11-20T10:00:00+08:00',
      unitNo: UNIT,
      location: P.location,
      face: propertyFace(OWNER_A, '20261120'),
    });
    assert.equal(r.statusCode, 201, r.body);
    const out = r.json().outcome;
    assert.equal(out.document, 'property-certificate');
    assert.equal(out.certificateNo, '豫(2026)潢川县不动产权第0000001号');
    assert.match(
      out.identifier,
      /^1\.2\.156\.3005\.2\.11100000MB03271699001\.11411526MB1A00028N\.20260000001\.001\.[0-9A-Z]$/,
    );
    firstId = out.certificateId;
    assert.equal((await cert(firstId)).status, 'pending-seal');
    const b = await sealAll();
    assert.equal(b.status, 'done');
    const c = await cert(firstId);
    assert.equal(c.status, 'issued');
    const ofd = (await fx.services.ctx.blobs.get(c.ofd_blob!))!;
    const v = await verifyOfd(ofd, { trustedRoots: fx.services.sealCrypto.trustedRoots() });
    assert.equal(v.valid, true, JSON.stringify(v.checks.filter((x) => x.status === 'failed')));
    assert.equal(v.meta.ZZBS, c.identifier);
    assert.equal(v.seal?.name, '潢川县自然资源局不动产登记专用章');
  });

  test('replaying the same 业务号 changes nothing; reusing it with other content is refused', async () => {
    const body = {
      businessNo: '202611200001',
      registrationType: '100',
      recordedAt: '2026-11-20T10:00:00+08:00',
      unitNo: UNIT,
      location: P.location,
      face: propertyFace(OWNER_A, '20261120'),
    };
    const before = await fx.store.db
      .selectFrom('certificates')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    const outboxBefore = await fx.store.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    const again = await record(body);
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().replayed, true);
    assert.equal(again.json().outcome.certificateId, firstId);
    const afterCount = await fx.store.db
      .selectFrom('certificates')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    const outboxAfter = await fx.store.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(afterCount.n, before.n);
    assert.equal(outboxAfter.n, outboxBefore.n);
    const other = await record({ ...body, location: `${P.location}（改）` });
    assert.equal(other.statusCode, 422);
    assert.equal(other.json().error.code, 'BUSINESS_NO_REUSED');
    assert.equal(other.json().error.field, 'businessNo');
  });

  test('转移登记 yields a new sealed 证书 and cancels the old one with its watermarked rendition', async () => {
    const r = await record({
      businessNo: '202611210002',
      registrationType: '200',
      recordedAt: '2026-11-21T10:00:00+08:00',
      unitNo: UNIT,
      location: P.location,
      face: propertyFace(OWNER_B, '20261121'),
      paperRecall: { method: 'public-notice', noticeRef: '潢川县不动产登记中心公告〔2026〕12号' },
    });
    assert.equal(r.statusCode, 201, r.body);
    const out = r.json().outcome;
    assert.deepEqual(out.superseded, [firstId]);
    assert.equal(out.certificateNo, '豫(2026)潢川县不动产权第0000002号', 'numbers are gap-free');
    const old = await cert(firstId);
    assert.equal(old.status, 'superseded');
    assert.deepEqual(
      { method: old.paper_recall?.method, ref: old.paper_recall?.noticeRef },
      { method: 'public-notice', ref: '潢川县不动产登记中心公告〔2026〕12号' },
    );
    await sealAll();
    const now = await cert(out.certificateId);
    assert.equal(now.status, 'issued');
    const oldAfter = await cert(firstId);
    assert.ok(oldAfter.cancelled_pdf_blob && oldAfter.cancelled_ofd_blob, 'the cancelled rendition exists');
    assert.notEqual(oldAfter.cancelled_ofd_blob, oldAfter.ofd_blob, 'the original sealed file is unchanged and kept');
    const pdf = (await fx.services.ctx.blobs.get(oldAfter.cancelled_pdf_blob!))!;
    const file = join(fx.dataDir, 'cancelled.pdf');
    writeFileSync(file, pdf);
    const pages = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' })
      .split('\f')
      .filter((t) => t.trim());
    assert.equal(pages.length, 3);
    // pdftotext scatters rotated glyphs, so look for the three characters on each page; the OFD is checked exactly.
    for (const [i, t] of pages.entries())
      for (const ch of '已注销') assert.ok(t.includes(ch), `watermark on PDF page ${i + 1}`);
    const zipped = unzipSync((await fx.services.ctx.blobs.get(oldAfter.cancelled_ofd_blob!))!);
    const contents = Object.keys(zipped).filter((k) => k.endsWith('Content.xml'));
    assert.equal(contents.length, 3);
    for (const k of contents)
      assert.match(
        new TextDecoder().decode(zipped[k]!),
        /CTM="[^"]+" Alpha="\d+"><ofd:FillColor Value="199 13 13"\/><ofd:TextCode[^>]*>已注销</,
        k,
      );
    const v = await verifyOfd((await fx.services.ctx.blobs.get(oldAfter.cancelled_ofd_blob!))!, {
      trustedRoots: fx.services.sealCrypto.trustedRoots(),
    });
    assert.equal(v.valid, true);
    assert.equal(v.meta.YZZBS, oldAfter.identifier, 'the rendition names the original identifier');
    const events = await fx.store.db
      .selectFrom('certificate_events')
      .select(['event', 'to_status'])
      .where('certificate_id', '=', firstId)
      .orderBy('id')
      .execute();
    assert.deepEqual(
      events.map((e) => e.event),
      ['render', 'seal', 'supersede'],
    );
  });

  test('a 抵押权 entry yields a 证明; a 查封 entry yields none and queues behind an earlier one', async () => {
    const { proofNo: _a, identifier: _b, infoQr: _c, queryQr: _d, ...proof } = R;
    const m = await record({
      businessNo: '202611210007',
      registrationType: '100',
      recordedAt: '2026-11-21T11:00:00+08:00',
      unitNo: UNIT,
      location: P.location,
      face: {
        ...proof,
        unitNo: UNIT,
        obligors: [{ name: OWNER_B.name, idType: '111', idNumber: OWNER_B.idNumber }],
        relatedCertificateNo: '豫(2026)潢川县不动产权第0000002号',
      },
    });
    assert.equal(m.statusCode, 201, m.body);
    assert.equal(m.json().outcome.document, 'registration-proof');
    assert.equal(m.json().outcome.certificateNo, '豫(2026)潢川县不动产证明第0000001号');
    const mortgage = await fx.store.db.selectFrom('restrictions').selectAll().where('kind', '=', 'mortgage').execute();
    assert.equal(mortgage.length, 1);

    const s1 = await record({
      businessNo: '202611220001',
      registrationType: '800',
      recordedAt: '2026-11-22T09:00:00+08:00',
      unitNo: UNIT,
      location: P.location,
      seizure: { type: '1', court: '潢川县人民法院', caseNo: '（2026）豫1526执123号' },
    });
    assert.equal(s1.statusCode, 201, s1.body);
    assert.equal(s1.json().outcome.document, 'none');
    assert.equal(s1.json().outcome.certificateId, undefined);
    const s2 = await record({
      businessNo: '202611220002',
      registrationType: '800',
      recordedAt: '2026-11-22T10:00:00+08:00',
      unitNo: UNIT,
      location: P.location,
      seizure: { type: '2', court: '信阳市中级人民法院', caseNo: '（2026）豫15执45号' },
    });
    assert.equal(s2.statusCode, 201);
    const seizures = await fx.store.db
      .selectFrom('restrictions')
      .select(['seq', 'status', 'source_org'])
      .where('kind', '=', 'seizure')
      .orderBy('seq')
      .execute();
    assert.deepEqual(
      seizures.map((s) => `${s.seq}:${s.status}:${s.source_org}`),
      ['1:active:潢川县人民法院', '2:waiting:信阳市中级人民法院'],
    );
    // 解封 of the first: the 轮候 seizure takes effect
    const lift = await record({
      businessNo: '202611220003',
      registrationType: '400',
      recordedAt: '2026-11-22T11:00:00+08:00',
      unitNo: UNIT,
      location: P.location,
      cancels: { target: 'seizure', restrictionId: s1.json().outcome.restrictionId },
    });
    assert.equal(lift.statusCode, 201, lift.body);
    const after = await fx.store.db
      .selectFrom('restrictions')
      .select(['seq', 'status'])
      .where('kind', '=', 'seizure')
      .orderBy('seq')
      .execute();
    assert.deepEqual(
      after.map((s) => `${s.seq}:${s.status}`),
      ['1:released', '2:active'],
    );
  });

  test('bad entries are refused with the field named and leave nothing behind', async () => {
    const count = async () =>
      Number(
        (
          await fx.store.db
            .selectFrom('register_entries')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const n0 = await count();
    const bad = await record({
      businessNo: '202611220099',
      registrationType: '100',
      recordedAt: '2026-11-22T10:00:00+08:00',
      unitNo: UNIT,
      location: P.location,
      face: { ...propertyFace(OWNER_A, '20261122'), area: -3 },
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error.field, /face\.area/);
    const noFace = await record({
      businessNo: '202611220098',
      registrationType: '200',
      recordedAt: '2026-11-22T10:00:00+08:00',
      unitNo: UNIT,
      location: P.location,
    });
    assert.equal(noFace.statusCode, 422);
    assert.equal(noFace.json().error.code, 'FACE_REQUIRED');
    const wrongAgency = await record({
      businessNo: '202611220097',
      registrationType: '100',
      recordedAt: '2026-11-22T10:00:00+08:00',
      unitNo: UNIT,
      location: P.location,
      face: { ...propertyFace(OWNER_A, '20261122'), agencyCode: '11411300MB1A00036H' },
    });
    assert.equal(wrongAgency.statusCode, 422);
    assert.equal(wrongAgency.json().error.field, 'face.agencyCode');
    assert.equal(await count(), n0);
  });

  test('a holder sees and downloads their certificate; the first download sets 领用时间, later ones keep it', async () => {
    const token = await fx.holder(OWNER_B.name, OWNER_B.idNumber);
    const list = await fx.app.inject({ url: '/api/v1/holder/certificates', headers: auth(token) });
    assert.equal(list.statusCode, 200);
    const mine = (list.json().items as { id: string; kind: string; status: string; holders: string }[]).filter(
      (c) => c.kind === 'property-certificate',
    );
    assert.equal(mine.length, 1);
    assert.equal(mine[0]!.holders, '王*', 'names are masked in lists');
    fx.clock.now = new Date(fx.clock.now.getTime() + 60_000);
    const firstAt = fx.clock.now.toISOString();
    const d1 = await fx.app.inject({
      url: `/api/v1/holder/certificates/${mine[0]!.id}/download?format=pdf`,
      headers: auth(token),
    });
    assert.equal(d1.statusCode, 200);
    assert.equal(d1.headers['content-type'], 'application/pdf');
    assert.equal(d1.headers['x-collected-at'], firstAt);
    fx.clock.now = new Date(fx.clock.now.getTime() + 60_000);
    const d2 = await fx.app.inject({
      url: `/api/v1/holder/certificates/${mine[0]!.id}/download?format=ofd`,
      headers: auth(token),
    });
    assert.equal(d2.statusCode, 200);
    assert.equal(d2.headers['x-collected-at'], firstAt, 'the first download stays the collection time');
    // someone else's certificate is indistinguishable from a missing one
    const other = await fx.holder(OWNER_A.name, OWNER_A.idNumber);
    const stranger = await fx.app.inject({
      url: `/api/v1/holder/certificates/${mine[0]!.id}/download`,
      headers: auth(other),
    });
    assert.equal(stranger.statusCode, 404);
    const downloads = await fx.store.db
      .selectFrom('audit.entries')
      .select('action')
      .where('action', '=', 'certificate.download')
      .execute();
    assert.equal(downloads.length, 2);
  });
});
