import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { DomainError } from '../../domain/problem.js';
import type { AuditActor } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.js';
import { runBatch, startBatch } from '../issuance/sealing.js';
import type { IssuanceDeps } from '../issuance/service.js';
import { type EntryRowResult, importEntries } from './entries.js';
import { defaultRejectsPath } from './rejects.js';
import * as repo from './repository.js';
import { importStock } from './stock.js';
import { StockSealer } from './stock-sealing.js';
import type { ImportKind, ImportOptionsJson, ImportProblem, ImportStatus } from './tables.js';

/**
 * Table imports as background jobs (issue 8: the console uploads a stock file and follows the validation report and
 * the progress). The uploaded file is kept in the blob store and the progress in the `imports` row, under a lease
 * renewed while a node works on it. The work itself is idempotent — stock rows and register entries are keyed by
 * their 业务号, sealing batches seal each certificate once — so a run that stopped (a crash, a restart) is simply run
 * again from the file by whichever node next sees its lease expired: on start, and every minute.
 */
export const MAX_PROBLEMS = 500;

export interface CreateImport {
  readonly kind: ImportKind;
  readonly agencyId: string;
  readonly fileName: string;
  readonly bytes: Uint8Array;
  readonly options: ImportOptionsJson;
  readonly actor: AuditActor;
}

export interface ImportView {
  readonly id: string;
  readonly kind: ImportKind;
  readonly agencyId: string;
  readonly fileName: string;
  readonly status: ImportStatus;
  readonly total: number;
  readonly valid: number;
  readonly invalid: number;
  readonly imported: number;
  readonly replayed: number;
  readonly sealed: number;
  readonly problems: ImportProblem[];
  readonly rejectsUrl?: string;
  readonly batchId?: string;
  readonly error?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
}

export function viewOf(r: repo.ImportRow): ImportView {
  return {
    id: r.id,
    kind: r.kind,
    agencyId: r.agency_id,
    fileName: r.file_name,
    status: r.status,
    total: r.total,
    valid: r.valid,
    invalid: r.invalid,
    imported: r.imported,
    replayed: r.replayed,
    sealed: r.sealed,
    problems: r.problems.slice(0, MAX_PROBLEMS),
    ...(r.rejects_blob ? { rejectsUrl: `/api/v1/imports/${r.id}/rejects` } : {}),
    ...(r.batch_id ? { batchId: r.batch_id } : {}),
    ...(r.error ? { error: r.error } : {}),
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
  };
}

export interface ImportService {
  create(o: CreateImport): Promise<repo.ImportRow>;
  /** Runs (or continues) an import to its end on this node; returns its final row and, for entries, per-row results. */
  run(id: string): Promise<{ row: repo.ImportRow; results?: readonly EntryRowResult[] }>;
  /** Continues every unfinished import whose node stopped. */
  resume(): Promise<number>;
  /** resume() now and every `intervalMs`; returns a stop function. */
  start(intervalMs?: number): () => void;
  readonly owner: string;
}

export function createImportService(
  deps: IssuanceDeps,
  o: { readonly leaseMs?: number; readonly owner?: string } = {},
): ImportService {
  const { ctx } = deps;
  const db = ctx.store.db;
  const leaseMs = o.leaseMs ?? 60_000;
  // Stable across restarts of this node (host + data directory), so a restarted node takes its own runs back at
  // once instead of waiting for their leases to expire.
  const owner = o.owner ?? `${hostname()}:${createHash('sm3').update(ctx.config.dataDir).digest('hex').slice(0, 12)}`;
  const running = new Map<string, Promise<{ row: repo.ImportRow; results?: readonly EntryRowResult[] }>>();

  const service: ImportService = {
    owner,
    async create(c) {
      const id = randomUUID();
      const blob = await ctx.blobs.put(c.bytes);
      await db.transaction().execute(async (trx) => {
        await repo.insertImport(trx, {
          id,
          agency_id: c.agencyId,
          kind: c.kind,
          file_name: basename(c.fileName),
          file_blob: blob,
          options: c.options,
          requested_by: c.actor,
        });
        await recordAudit(trx, {
          actor: c.actor,
          action: `import.${c.kind}.start`,
          objectType: 'import',
          objectId: id,
          result: 'success',
          details: { agencyId: c.agencyId, fileName: c.fileName, bytes: c.bytes.length, ...c.options },
        });
      });
      return (await repo.findImport(db, id))!;
    },

    run(id) {
      const already = running.get(id);
      if (already) return already;
      const p = runOnce(id).finally(() => running.delete(id));
      running.set(id, p);
      return p;
    },

    async resume() {
      let n = 0;
      for (const r of await repo.orphanedImports(db, ctx.now(), owner)) {
        if (running.has(r.id)) continue;
        await service
          .run(r.id)
          .catch((e: unknown) => ctx.log.error({ err: String(e), importId: r.id }, 'import resume failed'));
        n++;
      }
      return n;
    },

    start(intervalMs = 60_000) {
      let busy = false;
      const tick = () => {
        if (busy) return;
        busy = true;
        service
          .resume()
          .catch((e: unknown) => ctx.log.error({ err: String(e) }, 'import resume failed'))
          .finally(() => {
            busy = false;
          });
      };
      tick();
      const timer = setInterval(tick, intervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
  };

  async function runOnce(id: string): Promise<{ row: repo.ImportRow; results?: readonly EntryRowResult[] }> {
    const now = () => ctx.now();
    const lease = () => new Date(now().getTime() + leaseMs);
    const claimed = await repo.claimImport(db, id, owner, now(), lease());
    if (!claimed) {
      const row = await repo.findImport(db, id);
      if (!row) throw new DomainError('IMPORT_NOT_FOUND', '导入任务不存在', 'Import not found', 'id');
      return { row };
    }
    // Progress writes are queued so they land in order; a lost lease (another node took over) stops nothing here but
    // writes nothing either, and the idempotent work of both nodes converges.
    let queue: Promise<unknown> = Promise.resolve();
    const update = (set: repo.ImportProgress) => {
      queue = queue
        .then(() => repo.updateImport(db, id, owner, set, now()))
        .catch((e: unknown) => ctx.log.warn({ err: String(e), importId: id }, 'import progress not saved'));
      return queue;
    };
    const heartbeat = setInterval(() => void update({ lease_until: lease() }), Math.max(1000, leaseMs / 3));
    heartbeat.unref();
    const dir = join(ctx.config.dataDir, 'tmp', 'imports', id);
    const opts = claimed.options;
    const actor = claimed.requested_by as AuditActor;
    let results: readonly EntryRowResult[] | undefined;
    try {
      await mkdir(dir, { recursive: true });
      const file = join(dir, claimed.file_name);
      const bytes = await ctx.blobs.get(claimed.file_blob);
      if (!bytes) throw new Error(`uploaded file ${claimed.file_blob} missing from the file store`);
      await writeFile(file, bytes);
      const rejectsPath = defaultRejectsPath(file);
      let lastProgress = 0;
      const onValidated = (rows: number, bad: number, problems: readonly ImportProblem[]) =>
        void update({
          total: rows,
          valid: rows - bad,
          invalid: bad,
          problems: problems.slice(0, MAX_PROBLEMS),
          status: bad && !opts.skipInvalid ? 'invalid' : 'importing',
        });
      const onProgress = (done: number) => {
        const t = Date.now();
        if (t - lastProgress < 250) return;
        lastProgress = t;
        void update({ imported: done, lease_until: lease() });
      };
      const saveRejects = async () => {
        const exists = await stat(rejectsPath).then(
          () => true,
          () => false,
        );
        if (!exists) return null;
        return ctx.blobs.put(await readFile(rejectsPath));
      };

      if (claimed.kind === 'entries') {
        const rep = await importEntries(deps, file, {
          agencyId: claimed.agency_id,
          skipInvalid: opts.skipInvalid,
          rejectsPath,
          actor,
          collectResults: true,
          onValidated,
          onProgress,
        });
        results = rep.results;
        await update({
          total: rep.rows,
          valid: rep.rows - rep.invalidRows,
          invalid: rep.invalidRows,
          imported: rep.recorded + rep.replayed,
          replayed: rep.replayed,
          problems: rep.problems.slice(0, MAX_PROBLEMS),
          rejects_blob: rep.aborted ? null : await saveRejects(),
          status: rep.aborted ? 'invalid' : 'done',
          finished_at: now(),
        });
      } else {
        let batchId = claimed.status === 'sealing' ? claimed.batch_id : null;
        // The file's certificates (every stock row has one); once a batch started after the import is done, they
        // are all sealed — it took every certificate of the agency still pending.
        let certificates = claimed.imported;
        let lastSeal = 0;
        const sealProgress = (sealed: number) => {
          const t = Date.now();
          if (t - lastSeal < 250) return;
          lastSeal = t;
          void update({ sealed, lease_until: lease() });
        };
        if (!batchId) {
          // Henan 三(一)5: historical stock is sealed in one pass as it is collected — beside the import from the
          // moment the file has validated (stock-sealing.ts), then the rest in one recorded batch (below).
          const beside =
            opts.seal === false ? undefined : new StockSealer(deps, claimed.agency_id, actor, sealProgress);
          const rep = await importStock(deps, file, {
            agencyId: claimed.agency_id,
            skipInvalid: opts.skipInvalid,
            rejectsPath,
            actor,
            ...(opts.certificateKind ? { defaultKind: opts.certificateKind } : {}),
            onValidated: (rows, bad, problems) => {
              onValidated(rows, bad, problems);
              if (!bad || opts.skipInvalid) beside?.start();
            },
            onProgress,
          }).finally(() => beside?.stop());
          certificates = rep.imported + rep.replayed;
          const counts = {
            total: rep.rows,
            valid: rep.rows - rep.invalidRows,
            invalid: rep.invalidRows,
            imported: rep.imported + rep.replayed,
            replayed: rep.replayed,
            problems: rep.problems.slice(0, MAX_PROBLEMS),
          };
          if (rep.aborted) {
            await update({ ...counts, status: 'invalid', finished_at: now() });
          } else if (opts.seal === false) {
            await update({ ...counts, rejects_blob: await saveRejects(), status: 'done', finished_at: now() });
          } else {
            const b = await startBatch(deps, { agencyId: claimed.agency_id, trigger: 'stock', actor });
            batchId = b.id;
            await update({ ...counts, rejects_blob: await saveRejects(), status: 'sealing', batch_id: b.id });
          }
        }
        if (batchId) {
          const b = await runBatch(deps, batchId, {
            // what of the file is sealed, if the batch's queue is the file's rest (shown only; the end is exact)
            onProgress: (x) => sealProgress(Math.min(certificates, Math.max(0, certificates - x.total + x.sealed))),
          });
          await update({
            sealed: b.status === 'done' ? certificates : b.sealed,
            status: b.status === 'done' ? 'done' : 'failed',
            ...(b.status === 'done'
              ? {}
              : { error: `签章未全部完成 / sealing incomplete: ${b.last_error ?? b.status}` }),
            finished_at: now(),
          });
        }
      }
    } catch (e) {
      const msg =
        e instanceof DomainError ? `${e.message} / ${e.messageEn}` : e instanceof Error ? e.message : String(e);
      ctx.log.error({ importId: id, err: msg }, 'import failed');
      await update({ status: 'failed', error: msg.slice(0, 1000), finished_at: now() });
    } finally {
      clearInterval(heartbeat);
      await queue;
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
    const row = (await repo.findImport(db, id))!;
    await recordAudit(db, {
      actor,
      action: `import.${row.kind}.${row.status}`,
      objectType: 'import',
      objectId: id,
      result: row.status === 'done' ? 'success' : 'error',
      details: { total: row.total, invalid: row.invalid, imported: row.imported, sealed: row.sealed },
    }).catch((e: unknown) => ctx.log.warn({ err: String(e) }, 'import audit failed'));
    return { row, ...(results ? { results } : {}) };
  }

  return service;
}
