import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_HOLDER, demoCertificates } from '../../src/modules/demo/certificates.js';
import { type AppFixture, appFixture, auth } from '../support/app.js';
import { TEST_BACKEND } from '../support/store.js';

describe(`demo certificates on the first demo start (issue 2 §6) [${TEST_BACKEND}]`, () => {
  let fx: AppFixture;
  before(async () => {
    fx = await appFixture();
  });
  after(async () => fx.close());

  test('a 证书 in force, one cancelled by a 转移登记 and a mortgage 证明, all sealed; the banner links a QR verification', async () => {
    // A city or province node of a federation demo starts from its own data: none there.
    const deps = fx.services.issuance;
    const city = { ...deps, ctx: { ...deps.ctx, config: { ...deps.ctx.config, role: 'city' as const } } };
    assert.deepEqual(await demoCertificates(city, { create: true }), []);
    const notes = await demoCertificates(fx.services.issuance, { create: true });
    const certs = await fx.store.db
      .selectFrom('certificates')
      .select(['certificate_no', 'status', 'ofd_blob', 'cancelled_ofd_blob', 'kind', 'verify_token'])
      .orderBy('certificate_no')
      .execute();
    assert.deepEqual(
      certs.map((c) => [c.certificate_no, c.status]),
      [
        ['豫(2025)潢川县不动产权第0000001号', 'issued'],
        ['豫(2025)潢川县不动产权第0000002号', 'superseded'],
        ['豫(2025)潢川县不动产权第0000003号', 'issued'],
        ['豫(2025)潢川县不动产证明第0000001号', 'issued'],
      ],
    );
    assert.ok(certs.every((c) => c.ofd_blob));
    assert.ok(certs[1]!.cancelled_ofd_blob, 'the cancelled one has its 已注销 rendition');
    const link = notes.join('\n').match(/\{url\}\/v\/([A-Za-z0-9_-]{24})/);
    assert.ok(link, notes.join('\n'));
    const v = await fx.app.inject({ url: `/api/v1/verify/${link[1]}` });
    assert.equal(v.statusCode, 200, v.body);
    assert.equal(v.json().statusName, '有效');
    // The demo holder signs in and sees both of theirs, the cancelled one marked.
    const holder = await fx.holder(DEMO_HOLDER.name, DEMO_HOLDER.idNumber);
    const mine = await fx.app.inject({ url: '/api/v1/holder/certificates', headers: auth(holder) });
    assert.deepEqual(
      mine
        .json()
        .items.map((c: { certificateNo: string; statusName: string }) => `${c.certificateNo} ${c.statusName}`)
        .sort(),
      ['豫(2025)潢川县不动产权第0000001号 有效', '豫(2025)潢川县不动产权第0000002号 已注销'],
    );
  });

  test('later starts reuse them (same lines, nothing new); a register with entries gets none', async () => {
    const before = (await fx.store.db.selectFrom('certificates').select('id').execute()).length;
    const again = await demoCertificates(fx.services.issuance, { create: true });
    assert.match(again.join('\n'), /\/v\//);
    assert.equal((await fx.store.db.selectFrom('certificates').select('id').execute()).length, before);
    await fx.store.db.deleteFrom('app_meta').where('key', '=', 'demo.certificates').execute();
    assert.deepEqual(await demoCertificates(fx.services.issuance, { create: true }), [], 'real entries exist: no demo');
  });
});
