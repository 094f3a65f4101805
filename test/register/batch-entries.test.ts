import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { type AppFixture, appFixture, auth } from '../support/app.js';
import { TEST_BACKEND } from '../support/store.js';
import { entryRow, mortgageFace, OWNER_B, propertyFace, toCsv, toXlsx, unitNo, XLSX_TYPE } from './support.js';

describe(`POST /api/v1/register/entries/batch — entries from tables (Henan 三(一)3) [${TEST_BACKEND}]`, () => {
  let fx: AppFixture;
  let registrar: string;
  before(async () => {
    fx = await appFixture();
    registrar = (await fx.staff('411526', 'hc-registrar', ['registrar'])).token;
  });
  after(async () => fx.close());

  const post = (body: string | Buffer | unknown[], type: string, query = '') =>
    fx.app.inject({
      method: 'POST',
      url: `/api/v1/register/entries/batch${query}`,
      headers: { ...auth(registrar), 'content-type': type },
      payload: body as string,
    });
  const count = async (table: 'certificates' | 'register_entries' | 'outbox') =>
    Number(
      (
        await fx.store.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  // 首次登记 → 证书, 抵押权 → 证明, 查封 → nothing, 转移登记 → new 证书 and the first one superseded.
  const table = [
    entryRow({
      businessNo: 'T20261120001',
      type: '首次登记',
      recordedAt: '2026-11-20 10:00',
      unit: 1,
      face: propertyFace(1),
    }),
    entryRow({
      businessNo: 'T20261120002',
      type: '100',
      recordedAt: '2026-11-20 10:05',
      unit: 1,
      face: mortgageFace(1),
    }),
    entryRow({
      businessNo: 'T20261120003',
      type: '查封登记',
      recordedAt: '2026-11-20 10:10',
      unit: 2,
      extra: { 查封类型: '查封', 查封机关: '潢川县人民法院', 查封文号: '（2026）豫1526执88号' },
    }),
    entryRow({
      businessNo: 'T20261120004',
      type: '转移登记',
      recordedAt: '2026-11-20 11:00',
      unit: 1,
      face: propertyFace(1, OWNER_B),
      extra: { 原证收回方式: '公告作废', 公告文号: '潢川县不动产登记中心公告〔2026〕3号' },
    }),
  ];

  test('a CSV table with the notice headers records every row through the same rules as the API', async () => {
    const r = await post(toCsv(table), 'text/csv');
    assert.equal(r.statusCode, 200, r.body);
    const b = r.json();
    assert.deepEqual([b.total, b.valid, b.invalid, b.recorded, b.replayed], [4, 4, 0, 4, 0]);
    const out = b.results.map((x: { outcome: { document: string; certificateNo?: string } }) => [
      x.outcome.document,
      x.outcome.certificateNo,
    ]);
    assert.deepEqual(out, [
      ['property-certificate', '豫(2026)潢川县不动产权第0000001号'],
      ['registration-proof', '豫(2026)潢川县不动产证明第0000001号'],
      ['none', undefined],
      ['property-certificate', '豫(2026)潢川县不动产权第0000002号'],
    ]);
    assert.deepEqual(b.results[3].outcome.superseded, [b.results[0].outcome.certificateId]);
    const old = await fx.store.db
      .selectFrom('certificates')
      .selectAll()
      .where('id', '=', b.results[0].outcome.certificateId)
      .executeTakeFirstOrThrow();
    assert.equal(old.status, 'rolled-back', 'never sealed, so rolled back rather than cancelled (Huangchuan 4.3)');
    const entries = await fx.store.db
      .selectFrom('register_entries')
      .select(['business_no', 'source', 'recorded_at'])
      .orderBy('business_no')
      .execute();
    assert.deepEqual(
      entries.map((e) => e.source),
      ['table-import', 'table-import', 'table-import', 'table-import'],
    );
    assert.equal(entries[0]!.recorded_at.toISOString(), '2026-11-20T02:00:00.000Z', '登簿时间 read as China time');
    const seizure = await fx.store.db.selectFrom('restrictions').selectAll().where('kind', '=', 'seizure').execute();
    assert.equal(seizure[0]?.source_org, '潢川县人民法院');
  });

  test('the same table again changes nothing (idempotent on 业务号), also as XLSX and as a JSON array', async () => {
    const before = [await count('certificates'), await count('register_entries'), await count('outbox')];
    const again = await post(toCsv(table), 'text/csv');
    assert.equal(again.statusCode, 200, again.body);
    assert.deepEqual([again.json().recorded, again.json().replayed], [0, 4]);
    const xlsx = await post(await toXlsx(table), XLSX_TYPE);
    assert.equal(xlsx.statusCode, 200, xlsx.body);
    assert.deepEqual([xlsx.json().recorded, xlsx.json().replayed], [0, 4]);
    const json = await post(table, 'application/json');
    assert.equal(json.statusCode, 200, json.body);
    assert.equal(json.json().replayed, 4);
    // The API shape as JSON rows: the very entry the table recorded is a replay too.
    const apiShaped = [
      {
        businessNo: 'T20261120001',
        registrationType: '100',
        recordedAt: '2026-11-20T10:00:00+08:00',
        unitNo: unitNo(1),
        location: propertyFace(1).location,
        face: propertyFace(1),
      },
    ];
    const api = await post(apiShaped, 'application/json');
    assert.equal(api.statusCode, 200, api.body);
    assert.equal(api.json().replayed, 1);
    assert.deepEqual([await count('certificates'), await count('register_entries'), await count('outbox')], before);
  });

  const bad = [
    entryRow({
      businessNo: 'T20261121001',
      type: '首次登记',
      recordedAt: '2026-11-21 09:00',
      unit: 11,
      face: propertyFace(11),
    }),
    // 面积 negative and 权利人证件号 with a wrong check character
    entryRow({
      businessNo: 'T20261121002',
      type: '首次登记',
      recordedAt: '2026-11-21 09:05',
      unit: 12,
      face: { ...propertyFace(12), area: -3, holders: [{ ...OWNER_B, idNumber: '411526198503120027' }] },
    }),
    // unknown registration type, missing 业务号 format
    entryRow({ businessNo: 'x', type: '补发登记', recordedAt: 'yesterday', unit: 13, face: propertyFace(13) }),
    // 抵押权 face on a 查封 entry without court data
    entryRow({ businessNo: 'T20261121004', type: '800', recordedAt: '2026-11-21 09:15', unit: 14 }),
    // the same 业务号 as a recorded entry with other content
    entryRow({
      businessNo: 'T20261120001',
      type: '首次登记',
      recordedAt: '2026-11-21 09:20',
      unit: 15,
      face: propertyFace(15),
    }),
  ];

  test('a table with errors: every problem reported by row, field, code, zh and en; nothing recorded', async () => {
    const before = await count('register_entries');
    const r = await post(toCsv(bad), 'text/csv');
    assert.equal(r.statusCode, 422, r.body);
    const e = r.json().error;
    assert.equal(e.code, 'TABLE_INVALID');
    assert.match(e.message, /4 行错误，未登簿任何一行/);
    assert.match(e.messageEn, /nothing was recorded/);
    assert.ok(e.requestId);
    const got = (e.problems as { row: number; field?: string; code: string; message: string; messageEn: string }[]).map(
      (p) => `${p.row} ${p.field} ${p.code}`,
    );
    for (const want of [
      '2 face.area（面积） INVALID_TOO_SMALL',
      '2 face.holders[0].idNumber（权利人证件号） ID_NUMBER_CHECK',
      '3 businessNo（业务号） INVALID_INVALID_FORMAT',
      '3 registrationType（登记类型） INVALID_INVALID_VALUE',
      '3 recordedAt（登簿时间） INVALID_INVALID_FORMAT',
      '4 seizure（查封类型） SEIZURE_REQUIRED',
      '5 businessNo（业务号） BUSINESS_NO_REUSED',
    ])
      assert.ok(got.includes(want), `${want} in\n${got.join('\n')}`);
    assert.ok(!got.some((g) => g.startsWith('1 ')), 'row 1 is valid');
    for (const p of e.problems) assert.ok(p.message && p.messageEn, JSON.stringify(p));
    assert.equal(await count('register_entries'), before);
  });

  test('skipInvalid records the valid row and gives a rejects file in the uploaded format', async () => {
    const r = await post(toCsv(bad), 'text/csv', '?skipInvalid=true');
    assert.equal(r.statusCode, 200, r.body);
    const b = r.json();
    assert.deepEqual([b.total, b.valid, b.invalid, b.recorded], [5, 1, 4, 1]);
    assert.equal(b.results[0].businessNo, 'T20261121001');
    const rej = await fx.app.inject({ url: b.rejectsUrl, headers: auth(registrar) });
    assert.equal(rej.statusCode, 200);
    assert.match(String(rej.headers['content-type']), /^text\/csv/);
    const rows = parse(rej.body, { columns: true, bom: true }) as Record<string, string>[];
    assert.deepEqual(
      rows.map((x) => Number(x.行号)),
      [2, 3, 4, 5],
    );
    assert.match(rows[0]!.错误!, /INVALID_TOO_SMALL/);
    assert.equal(rows[3]!.业务号, 'T20261120001');
    // The import is visible in the import list and detail of the agency.
    const d = await fx.app.inject({ url: `/api/v1/imports/${b.importId}`, headers: auth(registrar) });
    assert.equal(d.json().status, 'done');
    assert.equal(d.json().kind, 'entries');
  });

  test('the API docs show the 附件2 Chinese item names of the entry and face-data fields', async () => {
    const doc = (await fx.app.inject({ url: '/api/openapi.json' })).json();
    const body = JSON.stringify(doc.paths['/api/v1/register/entries'].post.requestBody);
    for (const zh of [
      '业务号',
      '登簿时间',
      '坐落（必填）',
      '权利其他状况（必填）',
      '权利人证件号',
      '共有比例',
      '义务人',
    ])
      assert.ok(body.includes(zh), zh);
    const correct = JSON.stringify(doc.paths['/api/v1/certificates/{id}/correct'].post.requestBody);
    assert.ok(correct.includes('不动产单元号（必填）'));
  });

  test('an unsupported body type is refused in the error envelope; another agency may not import', async () => {
    const r = await post('a,b\n1,2\n', 'text/plain');
    assert.equal(r.statusCode, 415);
    assert.equal(r.json().error.code, 'UNSUPPORTED_MEDIA_TYPE');
    const other = await fx.agency('411300');
    const x = await post(toCsv(table), 'text/csv', `?agencyId=${other.id}`);
    assert.equal(x.statusCode, 404);
  });
});
