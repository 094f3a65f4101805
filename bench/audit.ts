// Audit log and sign-in costs: chain appends per second (the chain lock serialises every audited write), verifier
// speed, argon2id hash time. Runs on PGlite; set BDCERT_BENCH_PG_URL (an admin URL) to add PostgreSQL.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { AuditBuffer, recordAudit, verifyAuditChain } from '../src/modules/audit/audit.js';
import { hashPassword, verifyPassword } from '../src/modules/identity/passwords.js';
import { openStore, type Store } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';

const N = Number(process.env.BENCH_N ?? 3000);

async function appendBench(store: Store, label: string): Promise<void> {
  await migrateToLatest(store.db);
  const entry = (i: number) => ({
    actor: { kind: 'institution', id: 'bank', clientId: 'bank' } as const,
    action: 'share.download',
    certificateId: `CERT-${i}`,
    issuingAgencyId: 'agency',
    purpose: '抵押贷款审批',
    caseNo: `DK-${i}`,
    result: 'success' as const,
    ip: '10.0.0.1',
    requestId: `req-${i}`,
  });
  let t = performance.now();
  for (let i = 0; i < N; i++) await recordAudit(store.db, entry(i));
  const serial = (N / (performance.now() - t)) * 1000;
  // 8 concurrent writers: on PostgreSQL they queue on the advisory lock; on PGlite on the single connection.
  t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < N) await recordAudit(store.db, entry(next++));
    }),
  );
  const concurrent = (N / (performance.now() - t)) * 1000;
  // Buffered (public verification hits): one chain lock per batch of up to 500.
  const buf = new AuditBuffer(store.db, { maxBatch: 500 });
  t = performance.now();
  for (let i = 0; i < N * 3; i++) buf.add(entry(i));
  await buf.flush();
  const buffered = ((N * 3) / (performance.now() - t)) * 1000;
  t = performance.now();
  const v = await verifyAuditChain(store.db);
  const verify = (v.rows / (performance.now() - t)) * 1000;
  console.log(
    `${label}: append ${serial.toFixed(0)} entries/s (1 writer), ${concurrent.toFixed(0)} entries/s (8 writers), ${buffered.toFixed(0)} entries/s (AuditBuffer); verify ${verify.toFixed(0)} rows/s over ${v.rows} rows (ok=${v.ok})`,
  );
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const phc = await hashPassword('Bench-Password-2026!');
  const h = performance.now() - t0;
  const t1 = performance.now();
  for (let i = 0; i < 10; i++) await verifyPassword(phc, 'Bench-Password-2026!');
  console.log(
    `argon2id (m=19 MiB, t=2, p=1): hash ${h.toFixed(0)} ms, verify ${((performance.now() - t1) / 10).toFixed(0)} ms each`,
  );

  const lite = await openStore({ dataDir: 'memory://' });
  try {
    await appendBench(lite, 'PGlite (in memory)');
  } finally {
    await lite.close();
  }
  const admin = process.env.BDCERT_BENCH_PG_URL;
  if (!admin) {
    console.log('PostgreSQL: skipped (set BDCERT_BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/postgres)');
    return;
  }
  const name = `bdcert_bench_${randomBytes(4).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`create database ${name}`);
  const u = new URL(admin);
  u.pathname = `/${name}`;
  const store = await openStore({ databaseUrl: u.toString(), poolSize: 8 });
  try {
    await appendBench(store, 'PostgreSQL (pool 8)');
  } finally {
    await store.close();
    await new Promise((r) => setTimeout(r, 200)); // let the pool's sockets close before the drop
    await c.query(`drop database ${name}`);
    await c.end();
  }
}

await main();
