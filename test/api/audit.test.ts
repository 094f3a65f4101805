import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { recordAudit } from '../../src/modules/audit/audit.js';
import { auditRoutes } from '../../src/modules/audit/routes.js';
import { bearer, type IdentityFixture, identityFixture } from '../identity/fixture.js';
import { TEST_BACKEND } from '../support/store.js';

const ID = '11010519491231002X';

interface Entry {
  seq: string;
  action: string;
  actorId: string | null;
  actorAgencyId: string | null;
  result: string;
  purpose: string | null;
  details: unknown;
}

/** The audit console's endpoints (issue 8 §1 "audit viewer with the chain check"; issue 7 §5). */
describe(`[${TEST_BACKEND}] audit routes`, () => {
  let f: IdentityFixture;
  const t: Record<string, string> = {};
  const ids: Record<string, string> = {};

  before(async () => {
    f = await identityFixture({ plugins: (identity) => [auditRoutes(identity.service.deps.db, identity.auth)] });
    for (const [key, agency, roles] of [
      ['auditor', 'A', ['auditor']],
      ['admin', 'A', ['agency-admin']],
      ['registrar', 'A', ['registrar']],
      ['sealer', 'A', ['sealing-clerk']],
      ['auditorB', 'B', ['auditor']],
      ['province', 'B', ['province-admin']],
    ] as const) {
      const u = await f.addUser(agency === 'A' ? f.agencyA : f.agencyB, `au-${key}`, [...roles]);
      ids[key] = u.id;
      t[key] = await f.login(u);
    }
    // Entries of agency A carrying personal data the viewer must mask.
    await recordAudit(f.store.db, {
      actor: { kind: 'staff', id: ids.registrar!, agencyId: f.agencyA },
      action: 'certificate.view',
      certificateId: '5b0c2a8e-6c1d-4e3f-8a9b-1c2d3e4f5a6b',
      issuingAgencyId: f.agencyA,
      purpose: `为 ${ID} 办理抵押`,
      result: 'success',
      details: { note: `证件号 ${ID}`, nested: { idNumber: ID, holderName: '张三' } },
    });
    await recordAudit(f.store.db, {
      actor: { kind: 'institution', id: 'bdc_bank', clientId: 'bdc_bank' },
      action: 'share.download',
      certificateId: '5b0c2a8e-6c1d-4e3f-8a9b-1c2d3e4f5a6b',
      issuingAgencyId: f.agencyA,
      purpose: '个人住房抵押贷款审批',
      caseNo: 'DK-2026-00871',
      result: 'denied',
      reason: 'NOT_FOUND_OR_NOT_HOLDER',
    });
  });
  after(async () => f.close());

  const get = (url: string, token?: string) =>
    f.app.inject({ method: 'GET', url, ...(token ? { headers: bearer(token) } : {}) });
  const entries = async (token: string, query = '') => {
    const r = await get(`/api/v1/audit/entries${query}`, token);
    assert.equal(r.statusCode, 200, r.body);
    return r.json() as { items: Entry[]; nextCursor: string | null };
  };

  describe('GET /api/v1/audit/chain', () => {
    test('happy: auditor, agency admin and province admin run the chain check; it is audited', async () => {
      for (const who of ['auditor', 'admin', 'province']) {
        const r = await get('/api/v1/audit/chain', t[who]);
        assert.equal(r.statusCode, 200, r.body);
        assert.equal(r.json().ok, true, who);
        assert.ok(r.json().checked > 5);
        assert.deepEqual(r.json().findings, []);
      }
      const rows = await f.store.db
        .selectFrom('audit.entries')
        .selectAll()
        .where('action', '=', 'audit.chain-verify')
        .execute();
      assert.equal(rows.length, 3);
      assert.equal(rows[0]?.actor_id, ids.auditor);
    });

    test('error: an altered row is named, in Chinese and English', async () => {
      // As the database superuser (the test's role), with the guard trigger off for a moment.
      const victim = await f.store.db
        .selectFrom('audit.entries')
        .select(['seq', 'purpose'])
        .where('action', '=', 'share.download')
        .executeTakeFirstOrThrow();
      const tamper = async (purpose: string | null) => {
        await sql`alter table audit.entries disable trigger user`.execute(f.store.db);
        await sql`update audit.entries set purpose = ${purpose} where seq = ${victim.seq}`.execute(f.store.db);
        await sql`alter table audit.entries enable trigger user`.execute(f.store.db);
      };
      await tamper('改过的事由');
      try {
        const r = await get('/api/v1/audit/chain', t.auditor);
        assert.equal(r.statusCode, 200);
        assert.equal(r.json().ok, false);
        assert.deepEqual(r.json().findings, [
          {
            id: String(victim.seq),
            kind: 'altered',
            message: `第 ${victim.seq} 条被篡改`,
            messageEn: `row seq=${victim.seq} was altered`,
          },
        ]);
      } finally {
        await tamper(victim.purpose);
      }
      assert.equal((await get('/api/v1/audit/chain', t.auditor)).json().ok, true);
    });

    test('security: registrar and sealing clerk 403; anonymous 401', async () => {
      for (const who of ['registrar', 'sealer']) {
        const r = await get('/api/v1/audit/chain', t[who]);
        assert.equal(r.statusCode, 403, who);
        assert.equal(r.json().error.code, 'FORBIDDEN');
      }
      assert.equal((await get('/api/v1/audit/chain')).statusCode, 401);
    });
  });

  describe('GET /api/v1/audit/entries', () => {
    test('happy: the agency’s change and access entries, newest first, ID numbers masked; the read is audited', async () => {
      const page = await entries(t.auditor!, '?limit=500');
      const seqs = page.items.map((e) => BigInt(e.seq));
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => (a < b ? 1 : -1)),
      );
      const view = page.items.find((e) => e.action === 'certificate.view');
      assert.ok(view);
      assert.equal(view.purpose, '为 1101**********002X 办理抵押');
      assert.deepEqual(view.details, {
        note: '证件号 1101**********002X',
        nested: { idNumber: '[redacted]', holderName: '[redacted]' },
      });
      assert.ok(!JSON.stringify(page).includes(ID));
      // The institution's use of an A certificate is in A's list (issuing agency), as are A's own sign-ins.
      assert.ok(page.items.some((e) => e.action === 'share.download'));
      assert.ok(page.items.some((e) => e.action === 'auth.login' && e.actorId === ids.registrar));
      const read = await f.store.db
        .selectFrom('audit.entries')
        .selectAll()
        .where('action', '=', 'audit.read')
        .where('actor_id', '=', ids.auditor!)
        .execute();
      assert.ok(read.length >= 1);
    });

    test('happy: filters by action (exact or family), actor, certificate, result and period; cursor paging', async () => {
      const denied = await entries(t.auditor!, '?result=denied');
      assert.ok(denied.items.length >= 1 && denied.items.every((e) => e.result === 'denied'));
      const family = await entries(t.auditor!, '?action=auth.*');
      assert.ok(family.items.length >= 1 && family.items.every((e) => e.action.startsWith('auth.')));
      const exact = await entries(t.auditor!, '?action=share.download');
      assert.deepEqual(
        exact.items.map((e) => e.action),
        ['share.download'],
      );
      const actor = await entries(t.auditor!, `?actor=${ids.registrar}`);
      assert.ok(actor.items.length >= 2 && actor.items.every((e) => e.actorId === ids.registrar));
      const byClient = await entries(t.auditor!, '?actor=bdc_bank');
      assert.equal(byClient.items.length, 1);
      const cert = await entries(t.auditor!, '?certificate=5b0c2a8e-6c1d-4e3f-8a9b-1c2d3e4f5a6b');
      assert.equal(cert.items.length, 2);
      const future = await entries(t.auditor!, '?from=2999-01-01T00:00:00.000Z');
      assert.deepEqual(future.items, []);
      const past = await entries(t.auditor!, '?to=2000-01-01T00:00:00.000Z');
      assert.deepEqual(past.items, []);
      const all = await entries(t.auditor!, '?limit=500');
      const p1 = await entries(t.auditor!, '?limit=2');
      assert.equal(p1.items.length, 2);
      assert.ok(p1.nextCursor);
      const p2 = await entries(t.auditor!, `?limit=2&cursor=${p1.nextCursor}`);
      assert.ok(BigInt(p2.items[0]!.seq) < BigInt(p1.items[1]!.seq));
      assert.ok(all.items.length > 4);
    });

    test('error: a malformed cursor, result or action is 400 in the envelope', async () => {
      for (const q of ['?cursor=abc', '?result=maybe', '?action=drop%20table', '?limit=0', '?from=yesterday']) {
        const r = await get(`/api/v1/audit/entries${q}`, t.auditor);
        assert.equal(r.statusCode, 400, q);
        assert.equal(r.json().error.code, 'VALIDATION_FAILED');
      }
    });

    test("security: another agency's auditor sees none of A's entries; asking for A is 404; province admin sees all", async () => {
      const b = await entries(t.auditorB!, '?limit=500');
      assert.ok(b.items.length >= 1);
      assert.ok(b.items.every((e) => e.actorAgencyId !== f.agencyA));
      assert.ok(!b.items.some((e) => e.action === 'share.download' || e.action === 'certificate.view'));
      const cross = await get(`/api/v1/audit/entries?agencyId=${f.agencyA}`, t.auditorB);
      assert.equal(cross.statusCode, 404);
      const own = await get(`/api/v1/audit/entries?agencyId=${f.agencyB}`, t.auditorB);
      assert.equal(own.statusCode, 200);
      const all = await entries(t.province!, '?limit=500');
      assert.ok(
        all.items.some((e) => e.actorAgencyId === f.agencyA) && all.items.some((e) => e.actorAgencyId === f.agencyB),
      );
      const onlyA = await entries(t.province!, `?agencyId=${f.agencyA}&limit=500`);
      assert.ok(onlyA.items.every((e) => e.actorAgencyId === f.agencyA || e.action === 'share.download'));
      for (const who of ['registrar', 'sealer'])
        assert.equal((await get('/api/v1/audit/entries', t[who])).statusCode, 403);
      assert.equal((await get('/api/v1/audit/entries')).statusCode, 401);
    });
  });
});
