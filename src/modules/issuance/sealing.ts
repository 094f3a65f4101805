import { randomUUID } from 'node:crypto';
import type { FaceData } from '../../domain/face-data.js';
import { DomainError } from '../../domain/problem.js';
import { appendOutbox } from '../../store/outbox.js';
import { type AuditActor, recordAudit } from '../audit/audit.js';
import * as catalogRepo from '../catalog/repository.js';
import { activeSeal } from '../catalog/service.js';
import type { RenderInput } from './renderer.js';
import * as repo from './repository.js';
import { applyEvent, decryptFace, type IssuanceDeps } from './service.js';

/**
 * Sealing (Henan 三(一)5: the agency's staff seal pending certificates, twice a day or in real time).
 *
 * The queue is the certificate table itself: `status = 'pending-seal'` rows of an agency. A batch records who asked
 * and its progress; each certificate is sealed in its own transaction that re-reads the row under a lock and skips it
 * unless it is still pending, so a crash at any point leaves every certificate either pending (sealed by the next
 * run) or sealed once — never twice, never half-written (files are content-addressed and written before the row
 * points to them). Unfinished batches resume on start. We chose this over pg-boss: the certificate row already is
 * the durable, idempotent unit of work, and a second queue would be a second truth to reconcile.
 */
export function metaOf(
  face: FaceData,
  c: repo.CertificateRow,
  agency: catalogRepo.AgencyRow,
  sealName: string,
  sealedAt: Date,
): Record<string, string> {
  const holder = face.holders.map((h) => h.name).join('、');
  // standards.md §6 (GB/T 36903 core items, gtmap field set)
  return {
    ZZMC: c.kind === 'property-certificate' ? '中华人民共和国不动产权证书' : '不动产登记证明',
    ZZBH: c.certificate_no,
    ZZBS: c.identifier,
    ZZBFJG: agency.name,
    ZZBFJGDM: agency.uscc,
    ZZBFRQ: face.registeredOn,
    CZZT: holder,
    CZZTDM: face.holders.map((h) => h.idNumber).join('、'),
    CZZTDMLXDM: face.holders.map((h) => h.idType).join('、'),
    ZZQZMC: sealName,
    ZZQZSJ: sealedAt.toISOString(),
    KZ_BDCDYH: face.unitNo,
    KZ_ZL: face.location,
  };
}

export type SealOutcome = 'sealed' | 'skipped';

export async function sealCertificate(
  deps: IssuanceDeps,
  certificateId: string,
  actor: AuditActor,
): Promise<SealOutcome> {
  const { ctx } = deps;
  const pre = await repo.findCertificate(ctx.store.db, certificateId);
  if (pre?.status !== 'pending-seal') return 'skipped';
  const agency = (await catalogRepo.findAgency(ctx.store.db, pre.agency_id))!;
  const sealedAt = ctx.now();
  const seal = await activeSeal(deps.catalog, pre.agency_id, sealedAt);
  const face = decryptFace(deps, pre);
  const input: RenderInput = {
    face,
    seal,
    sealedAt,
    queryUrl: face.queryQr,
    infoQr: face.infoQr,
    agencyName: agency.name,
    meta: metaOf(face, pre, agency, seal.name, sealedAt),
  };
  // Rendering and signing happen outside the transaction; the files are content-addressed, so an orphan left by a
  // crash is harmless and a retry writes a new file the row then points to.
  const files = await deps.renderer.renderSealed(input);
  const ofd = await ctx.blobs.put(files.ofd);
  const pdf = await ctx.blobs.put(files.pdf);
  return ctx.store.db.transaction().execute(async (trx) => {
    const c = await repo.lockCertificate(trx, certificateId);
    if (c?.status !== 'pending-seal') return 'skipped';
    await applyEvent(deps, trx, c, 'seal', `加盖「${seal.name}」`, actor, {
      ofd_blob: ofd,
      pdf_blob: pdf,
      seal_id: seal.sealId,
      sealed_at: sealedAt,
    });
    return 'sealed';
  });
}

/** The 已注销 rendition for every cancelled certificate that has a sealed file but no rendition yet (resumable). */
export async function renderCancellations(deps: IssuanceDeps, agencyId: string, limit = 100): Promise<number> {
  const { ctx } = deps;
  const rows = await ctx.store.db
    .selectFrom('certificates')
    .selectAll()
    .where('agency_id', '=', agencyId)
    .where('status', 'in', ['superseded', 'cancelled', 'revoked', 'voided'])
    .where('ofd_blob', 'is not', null)
    .where('cancelled_ofd_blob', 'is', null)
    .limit(limit)
    .execute();
  let n = 0;
  for (const c of rows) {
    const agency = (await catalogRepo.findAgency(ctx.store.db, c.agency_id))!;
    const at = ctx.now();
    let seal: Awaited<ReturnType<typeof activeSeal>>;
    try {
      seal = await activeSeal(deps.catalog, c.agency_id, at);
    } catch {
      break; // no valid seal now: the rendition waits for one
    }
    const face = decryptFace(deps, c);
    const files = await deps.renderer.renderCancelled({
      face,
      seal,
      sealedAt: at,
      queryUrl: face.queryQr,
      infoQr: face.infoQr,
      agencyName: agency.name,
      meta: { ...metaOf(face, c, agency, seal.name, at), ZZZT: '已注销', YZZBS: c.identifier },
      cancelledAt: c.updated_at,
      reason: c.status_reason ?? '',
    });
    const ofd = await ctx.blobs.put(files.ofd);
    const pdf = await ctx.blobs.put(files.pdf);
    await ctx.store.db.transaction().execute(async (trx) => {
      const cur = await repo.lockCertificate(trx, c.id);
      if (!cur || cur.cancelled_ofd_blob) return;
      await repo.updateCertificate(trx, c.id, { cancelled_ofd_blob: ofd, cancelled_pdf_blob: pdf }, at);
      await appendOutbox(trx, {
        aggregateType: 'certificate',
        aggregateId: c.id,
        eventType: 'certificate.cancelled-rendition',
        payload: { identifier: c.identifier },
      });
    });
    n++;
  }
  return n;
}

export interface StartBatchOptions {
  readonly agencyId: string;
  readonly trigger: 'clerk' | 'schedule' | 'realtime' | 'stock';
  readonly actor: AuditActor;
  /** Seal only these (they must belong to the agency); all pending when absent. */
  readonly certificateIds?: readonly string[];
}

export async function startBatch(deps: IssuanceDeps, o: StartBatchOptions): Promise<repo.SealBatchRow> {
  const { ctx } = deps;
  const total = await repo.countPending(ctx.store.db, o.agencyId, o.certificateIds);
  if (o.certificateIds && total !== o.certificateIds.length) {
    throw new DomainError(
      'NOT_PENDING',
      '所选证照中有不属于本机构或不处于待签章状态的',
      'Some selected certificates are not pending for this agency',
      'certificateIds',
    );
  }
  const id = randomUUID();
  await ctx.store.db.transaction().execute(async (trx) => {
    await repo.insertBatch(trx, {
      id,
      agency_id: o.agencyId,
      trigger: o.trigger,
      requested_by: o.actor,
      certificate_ids: o.certificateIds ? [...o.certificateIds] : null,
      status: 'running',
      total,
    });
    await recordAudit(trx, {
      actor: o.actor,
      action: 'seal-batch.start',
      objectType: 'seal-batch',
      objectId: id,
      result: 'success',
      details: { agencyId: o.agencyId, total, trigger: o.trigger },
    });
  });
  return (await repo.findBatch(ctx.store.db, id))!;
}

/** Runs (or resumes) a batch to the end. Safe to call concurrently or twice: each certificate seals once. */
export async function runBatch(
  deps: IssuanceDeps,
  batchId: string,
  opts: { chunk?: number; onProgress?: (b: repo.SealBatchRow) => void } = {},
): Promise<repo.SealBatchRow> {
  const { ctx } = deps;
  const batch = await repo.findBatch(ctx.store.db, batchId);
  if (!batch) throw new DomainError('BATCH_NOT_FOUND', '签章批次不存在', 'Seal batch not found', 'batchId');
  if (batch.status !== 'running') return batch;
  const actor = batch.requested_by as AuditActor;
  const failedIds = new Set<string>();
  for (;;) {
    const ids = (
      await repo.pendingIds(
        ctx.store.db,
        batch.agency_id,
        (opts.chunk ?? 50) + failedIds.size,
        batch.certificate_ids ?? undefined,
      )
    ).filter((x) => !failedIds.has(x));
    if (ids.length === 0) break;
    for (const id of ids) {
      try {
        const r = await sealCertificate(deps, id, actor);
        if (r === 'sealed') await repo.bumpBatch(ctx.store.db, batchId, 1, 0);
      } catch (e) {
        failedIds.add(id);
        const msg = e instanceof Error ? e.message : String(e);
        ctx.log.error({ certificateId: id, err: msg }, 'sealing failed');
        await repo.bumpBatch(ctx.store.db, batchId, 0, 1, msg.slice(0, 500));
        if (e instanceof DomainError && e.code === 'NO_ACTIVE_SEAL') {
          await repo.finishBatch(ctx.store.db, batchId, 'failed', ctx.now());
          return (await repo.findBatch(ctx.store.db, batchId))!;
        }
      }
    }
    opts.onProgress?.((await repo.findBatch(ctx.store.db, batchId))!);
  }
  await renderCancellations(deps, batch.agency_id);
  await repo.finishBatch(ctx.store.db, batchId, failedIds.size ? 'failed' : 'done', ctx.now());
  return (await repo.findBatch(ctx.store.db, batchId))!;
}

/** On start: finish what a crash interrupted. */
export async function resumeBatches(deps: IssuanceDeps): Promise<number> {
  const running = await repo.runningBatches(deps.ctx.store.db);
  for (const b of running) await runBatch(deps, b.id);
  return running.length;
}

/**
 * Scheduled batches: at each agency's configured times (default 12:00 and 18:00, Henan 三(一)5 “每天2次”), and at
 * once for agencies in real-time mode. Times are China Standard Time. Returns a stop function.
 */
export function startScheduler(deps: IssuanceDeps, intervalMs = 30_000): () => void {
  let busy = false;
  const fired = new Set<string>();
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const now = deps.ctx.now();
      const cst = new Date(now.getTime() + 8 * 3600_000);
      const hhmm = cst.toISOString().slice(11, 16);
      const day = cst.toISOString().slice(0, 10);
      for (const a of await catalogRepo.listAgencies(deps.ctx.store.db)) {
        const due =
          a.sealing_mode === 'realtime' || (a.sealing_times.includes(hhmm) && !fired.has(`${a.id}|${day}|${hhmm}`));
        if (!due) continue;
        if ((await repo.countPending(deps.ctx.store.db, a.id)) === 0) continue;
        fired.add(`${a.id}|${day}|${hhmm}`);
        const b = await startBatch(deps, {
          agencyId: a.id,
          trigger: a.sealing_mode === 'realtime' ? 'realtime' : 'schedule',
          actor: { kind: 'system', id: 'seal-scheduler' },
        });
        await runBatch(deps, b.id);
      }
    } catch (e) {
      deps.ctx.log.error({ err: e instanceof Error ? e.message : String(e) }, 'seal scheduler tick failed');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
