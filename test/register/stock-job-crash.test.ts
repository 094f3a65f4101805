import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { toChineseRecord } from '../../src/domain/field-names.js';
import { openStore } from '../../src/store/database.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P } from '../fixtures/domain/samples.js';
import { MASTER_KEY } from '../support/app.js';
import { createTestDatabaseUrl, TEST_BACKEND } from '../support/store.js';
import { OWNER_A, toCsv, unitNo } from './support.js';

// Two groups of the job's 250 rows: the node is killed after the first commits, while the second is still ahead.
const N = 400;

describe(`stock import job (POST /api/v1/imports/stock) on a node killed with SIGKILL [${TEST_BACKEND}]`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bdcert-stock-job-crash-'));
  let drop: (() => Promise<void>) | undefined;
  after(async () => {
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  test(`killed mid-import, restarted and killed mid-sealing, restarted: ${N} rows once each, gap-free, all sealed`, async () => {
    const pg = await createTestDatabaseUrl();
    drop = pg?.drop;
    const env = {
      ...process.env,
      DATA_DIR: join(dir, 'data'),
      DATABASE_URL: pg?.url ?? '',
      BDCERT_MASTER_KEY: MASTER_KEY,
      LOG_LEVEL: 'silent',
    };
    const { identifier: _a, infoQr: _b, queryQr: _c, coOwners: _d, ...face } = P;
    const rows = Array.from({ length: N }, (_, i) => {
      const row = toChineseRecord('property-certificate', {
        ...face,
        holders: [OWNER_A],
        coOwnership: '单独所有',
        unitNo: unitNo(i + 1),
        certificateNo: `豫(2018)潢川县不动产权第${String(i + 1).padStart(7, '0')}号`,
        registeredOn: '20180615',
      });
      for (const k of ['电子证照标识', '信息二维码', '查询二维码']) delete row[k];
      return row;
    });
    const file = join(dir, 'stock.csv');
    writeFileSync(file, toCsv(rows));
    const child = (...args: string[]) =>
      [process.execPath, ['--import', 'tsx', 'test/register/stock-job-child.ts', ...args]] as const;
    const created = spawnSync(...child('create', file), { env, encoding: 'utf8' });
    assert.equal(created.status, 0, created.stderr);
    const id = /import (\S+)/.exec(created.stdout)?.[1];
    assert.ok(id);

    /** Starts a node that continues the job and SIGKILLs it when `when(entries, issued)` first holds. */
    const runAndKill = (when: (entries: number, issued: number) => boolean) =>
      new Promise<void>((resolve, reject) => {
        const p = spawn(...child('run'), { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let killed = false;
        p.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          for (const m of out.matchAll(/entries (\d+) issued (\d+)/g))
            if (!killed && when(Number(m[1]), Number(m[2]))) {
              killed = true;
              p.kill('SIGKILL');
            }
        });
        p.on('exit', (_c, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`not killed: ${out}`))));
        p.on('error', reject);
      });
    const state = async () => {
      const s = await openStore(pg ? { databaseUrl: pg.url } : { dataDir: env.DATA_DIR });
      try {
        const job = await s.db.selectFrom('imports').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        const entries = (await s.db.selectFrom('register_entries').select('id').execute()).length;
        const certs = await s.db.selectFrom('certificates').select(['status', 'serial', 'identifier']).execute();
        return { job, entries, certs };
      } finally {
        await s.close();
      }
    };

    await runAndKill((entries) => entries > 0);
    const mid = await state();
    assert.ok(mid.entries > 0 && mid.entries < N, `killed mid-import (${mid.entries} of ${N})`);
    assert.equal(mid.entries % 250, 0, 'a killed group leaves nothing behind');
    assert.equal(mid.job.status, 'importing');

    // The restarted node takes its own run back at once (its lease has not expired yet).
    await runAndKill((entries, issued) => entries === N && issued > 0);
    const sealing = await state();
    // sealing runs beside the import (stock-sealing.ts), so the job may not have moved on to its last batch yet
    assert.ok(['importing', 'sealing'].includes(sealing.job.status), sealing.job.status);
    const issued = sealing.certs.filter((c) => c.status === 'issued').length;
    assert.ok(issued > 0 && issued < N, `killed mid-sealing (${issued} of ${N})`);

    const last = spawnSync(...child('run'), { env, encoding: 'utf8' });
    assert.equal(last.status, 0, last.stderr);
    assert.match(last.stdout, /resumed 1/);
    const end = await state();
    assert.equal(end.job.status, 'done', JSON.stringify(end.job));
    assert.deepEqual([end.job.total, end.job.imported, end.job.sealed], [N, N, N]);
    assert.equal(end.entries, N);
    assert.deepEqual(
      end.certs.map((c) => c.serial).sort((a, b) => a - b),
      Array.from({ length: N }, (_, i) => i + 1),
      'paper numbers kept, gap-free, none twice',
    );
    assert.equal(new Set(end.certs.map((c) => c.identifier)).size, N);
    assert.ok(
      end.certs.every((c) => c.status === 'issued'),
      'everything sealed',
    );
    const verify = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'audit', 'verify'], {
      env,
      encoding: 'utf8',
    });
    assert.equal(verify.status, 0, verify.stdout + verify.stderr);
  });
});
