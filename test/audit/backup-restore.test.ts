import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { backup, restore } from '../../src/cli/commands/backup.js';
import { recordAudit, verifyAuditChain } from '../../src/modules/audit/audit.js';
import { createFieldCrypto } from '../../src/modules/privacy/field-crypto.js';
import { FsBlobStore } from '../../src/store/blobs.js';
import { openStore, type Store } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { insertAgency } from '../identity/fixture.js';
import { createTestDatabaseUrl, TEST_BACKEND, type TestStore } from '../support/store.js';

/** Rows standing in for certificates (objections carry a certificate id and encrypted personal data), blobs, audit. */
async function fill(store: Store, blobDir: string): Promise<{ blobIds: string[]; objectionIds: string[] }> {
  const fc = createFieldCrypto(Buffer.alloc(32, 3));
  const agency = await insertAgency(store as TestStore, '潢川县不动产登记中心', '12411526MB0000001A', '411526');
  const blobs = new FsBlobStore(blobDir);
  const blobIds: string[] = [];
  for (let i = 0; i < 5; i++)
    blobIds.push(await blobs.put(new TextEncoder().encode(`电子证照文件 ${i} ${'x'.repeat(i * 100)}`)));
  const objectionIds: string[] = [];
  for (let i = 0; i < 20; i++) {
    const id = randomUUID();
    objectionIds.push(id);
    await store.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('objections')
        .values({
          id,
          certificate_id: `CERT-${i}`,
          issuing_agency_id: agency,
          filer_kind: 'holder',
          filer_ref: fc.index(`41152619800101${String(i).padStart(3, '0')}X`),
          contact_enc: fc.encrypt(`1381234${String(i).padStart(4, '0')}`),
          reason: `异议 ${i}`,
          status: 'submitted',
          outcome: null,
          handled_by: null,
          closed_at: null,
        })
        .execute();
      await recordAudit(trx, {
        actor: { kind: 'system', id: 'test' },
        action: 'objection.file',
        certificateId: `CERT-${i}`,
        issuingAgencyId: agency,
        result: 'success',
      });
    });
  }
  return { blobIds, objectionIds };
}

async function check(
  store: Store,
  blobDir: string,
  expect: { blobIds: string[]; objectionIds: string[] },
): Promise<void> {
  const rows = await store.db
    .selectFrom('objections')
    .select(['id', 'contact_enc'])
    .orderBy('certificate_id')
    .execute();
  assert.deepEqual(new Set(rows.map((r) => r.id)), new Set(expect.objectionIds));
  const fc = createFieldCrypto(Buffer.alloc(32, 3));
  assert.match(fc.decrypt(rows[0]?.contact_enc ?? ''), /^1381234\d{4}$/);
  const blobs = new FsBlobStore(blobDir);
  for (const id of expect.blobIds) assert.ok(await blobs.get(id), `blob ${id}`);
  const v = await verifyAuditChain(store.db);
  assert.equal(v.ok, true);
  assert.equal(v.rows, 20);
  // The append-only guard came back with the data.
  await assert.rejects(sql`update audit.entries set purpose = 'x'`.execute(store.db), /append-only/);
}

describe(`[${TEST_BACKEND}] backup, wipe, restore`, () => {
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'bdcert-backup-'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('database rows, blobs and the audit chain survive a wipe and restore', async () => {
    const dataDir = join(work, 'data');
    const blobDir = join(dataDir, 'blobs');
    const backupDir = join(work, 'backup');
    const pgdb = await createTestDatabaseUrl();
    const open = () => openStore(pgdb ? { databaseUrl: pgdb.url, poolSize: 2 } : { dataDir });
    try {
      let store = await open();
      await migrateToLatest(store.db);
      const expected = await fill(store, blobDir);
      const before = await verifyAuditChain(store.db);
      await store.close(); // PGlite: the server is stopped during backup

      const t = { databaseUrl: pgdb?.url, dataDir, blobDir };
      const m = await backup(t, backupDir);
      assert.equal(m.database.kind, TEST_BACKEND);
      assert.equal(m.blobs.count, 5);
      assert.equal(m.audit.headHash, before.headHash);
      await assert.rejects(backup(t, backupDir), /already holds a backup/);

      // Wipe: files gone, database gone.
      rmSync(blobDir, { recursive: true, force: true });
      if (pgdb) {
        store = await open();
        await sql`drop schema audit cascade`.execute(store.db);
        await sql`drop schema public cascade`.execute(store.db);
        await sql`create schema public`.execute(store.db);
        await store.close();
      } else {
        rmSync(join(dataDir, 'pg'), { recursive: true, force: true });
      }
      assert.equal(existsSync(blobDir), false);

      const r = await restore(t, backupDir);
      assert.equal(r.audit.headHash, before.headHash);
      store = await open();
      try {
        await check(store, blobDir, expected);
      } finally {
        await store.close();
      }
      // A second restore over live data needs --force.
      await assert.rejects(restore(t, backupDir), /--force/);
    } finally {
      await pgdb?.drop();
    }
  });

  test('a dump that does not match its manifest is refused before anything is touched', async () => {
    const dataDir = join(work, 'data2');
    const backupDir = join(work, 'backup2');
    const pgdb = await createTestDatabaseUrl();
    try {
      const store = await openStore(pgdb ? { databaseUrl: pgdb.url, poolSize: 2 } : { dataDir });
      await migrateToLatest(store.db);
      await store.close();
      const t = { databaseUrl: pgdb?.url, dataDir, blobDir: join(dataDir, 'blobs') };
      const m = await backup(t, backupDir);
      const { appendFileSync } = await import('node:fs');
      appendFileSync(join(backupDir, m.database.file), 'x');
      await assert.rejects(restore(t, backupDir, { force: true }), /does not match its SM3/);
    } finally {
      await pgdb?.drop();
    }
  });
});
