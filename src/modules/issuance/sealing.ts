import { randomUUID } from 'node:crypto';
import { type Insertable, sql } from 'kysely';
import type { FaceData } from '../../domain/face-data.js';
import { type CertificateStatus, type LifecycleState, STATUS_NAMES, transition } from '../../domain/lifecycle.js';
import { DomainError } from '../../domain/problem.js';
import { appendOutbox } from '../../store/outbox.js';
import type { Database } from '../../store/schema.js';
import { type AuditActor, type AuditEntryInput, recordAudit, recordAuditMany } from '../audit/audit.js';
import * as catalogRepo from '../catalog/repository.js';
import { activeSeal } from '../catalog/service.js';
import * as repo from './repository.js';
import { decryptFace, type IssuanceDeps } from './service.js';

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

/** A certificate rendered and stored, waiting for the transaction that marks it sealed. */
interface Rendered {
  readonly id: string;
  readonly ofd: string;
  readonly pdf: string;
  readonly sealId: string;
  readonly sealName: string;
  readonly sealedAt: Date;
}

/** Everything a certificate's files need that is the same for a run of certificates of one agency. */
interface SealContext {
  readonly agency: catalogRepo.AgencyRow;
  readonly seal: Awaited<ReturnType<typeof activeSeal>>;
  readonly sealedAt: Date;
}

async function sealContext(deps: IssuanceDeps, agencyId: string): Promise<SealContext> {
  const agency = (await catalogRepo.findAgency(deps.ctx.store.db, agencyId))!;
  const sealedAt = deps.ctx.now();
  return { agency, seal: await activeSeal(deps.catalog, agencyId, sealedAt), sealedAt };
}

/**
 * Renders and signs one certificate and stores both files — outside any transaction: the files are
 * content-addressed, so an orphan left by a crash is harmless and a retry writes a file the row then points to.
 */
async function renderAndStore(deps: IssuanceDeps, c: repo.CertificateRow, x: SealContext): Promise<Rendered> {
  const face = decryptFace(deps, c);
  const files = await deps.renderer.renderSealed({
    face,
    seal: x.seal,
    sealedAt: x.sealedAt,
    queryUrl: face.queryQr,
    infoQr: face.infoQr,
    agencyName: x.agency.name,
    meta: metaOf(face, c, x.agency, x.seal.name, x.sealedAt),
  });
  const [ofd, pdf] =
    'stored' in files
      ? [files.ofdSm3, files.pdfSm3]
      : await Promise.all([deps.ctx.blobs.put(files.ofd, files.ofdSm3), deps.ctx.blobs.put(files.pdf, files.pdfSm3)]);
  return { id: c.id, ofd, pdf, sealId: x.seal.sealId, sealName: x.seal.name, sealedAt: x.sealedAt };
}

/**
 * Marks rendered certificates sealed in one transaction — each row re-read under a lock and skipped unless still
 * pending, so a certificate is sealed once even when two runs race. The rows written are exactly those
 * `applyEvent(…, 'seal', …)` writes for one certificate (the row, its life-cycle event, the outbox event, the audit
 * entry), only as one statement per table for the whole group: the embedded database spends most of its time per
 * statement, and sealing 100,000 stock certificates one statement at a time was the batch's limit.
 */
async function commitSealed(
  deps: IssuanceDeps,
  items: readonly Rendered[],
  actor: AuditActor,
  batchId?: string,
): Promise<Set<string>> {
  if (items.length === 0) return new Set();
  const { ctx } = deps;
  return ctx.store.db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('certificates')
      .select(['id', 'status', 'collected', 'pledged', 'identifier', 'agency_id'])
      .where(
        'id',
        'in',
        items.map((i) => i.id),
      )
      .orderBy('id')
      .forUpdate()
      .execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    const now = ctx.now();
    const sealed = new Set<string>();
    const updates: Record<string, unknown>[] = [];
    const events: Insertable<Database['certificate_events']>[] = [];
    const outbox: Insertable<Database['outbox']>[] = [];
    const audits: AuditEntryInput[] = [];
    for (const it of items) {
      const c = byId.get(it.id);
      if (c?.status !== 'pending-seal' || sealed.has(it.id)) continue;
      sealed.add(it.id);
      const before: LifecycleState = {
        status: c.status as CertificateStatus,
        collected: c.collected,
        pledged: c.pledged,
      };
      const after = transition(before, 'seal');
      const reason = `加盖「${it.sealName}」`;
      updates.push({
        id: c.id,
        status: after.status,
        collected: after.collected,
        pledged: after.pledged,
        status_reason: reason,
        ofd_blob: it.ofd,
        pdf_blob: it.pdf,
        seal_id: it.sealId,
        sealed_at: it.sealedAt.toISOString(),
      });
      events.push({
        certificate_id: c.id,
        event: 'seal',
        from_status: before.status,
        to_status: after.status,
        reason,
        actor: JSON.stringify(actor),
        at: now,
      });
      outbox.push({
        aggregate_type: 'certificate',
        aggregate_id: c.id,
        event_type: 'certificate.seal',
        payload: JSON.stringify({
          identifier: c.identifier,
          from: before.status,
          to: after.status,
          reason,
          agencyId: c.agency_id,
        }),
      });
      audits.push({
        actor,
        action: 'certificate.seal',
        objectType: 'certificate',
        objectId: c.id,
        certificateId: c.id,
        issuingAgencyId: c.agency_id,
        result: 'success',
        details: { from: before.status, to: after.status, statusName: STATUS_NAMES[after.status].zh, reason },
      });
    }
    if (sealed.size === 0) return sealed;
    await sql`update certificates as c set
        status = v.status, collected = v.collected, pledged = v.pledged, status_reason = v.status_reason,
        ofd_blob = v.ofd_blob, pdf_blob = v.pdf_blob, seal_id = v.seal_id, sealed_at = v.sealed_at,
        updated_at = ${now}
      from json_to_recordset(${JSON.stringify(updates)}::json) as v(id uuid, status text, collected boolean,
        pledged boolean, status_reason text, ofd_blob text, pdf_blob text, seal_id uuid, sealed_at timestamptz)
      where c.id = v.id`.execute(trx);
    await trx.insertInto('certificate_events').values(events).execute();
    await trx.insertInto('outbox').values(outbox).execute();
    await recordAuditMany(trx, audits);
    if (batchId) await repo.bumpBatch(trx, batchId, sealed.size, 0);
    return sealed;
  });
}

export async function sealCertificate(
  deps: IssuanceDeps,
  certificateId: string,
  actor: AuditActor,
): Promise<SealOutcome> {
  const pre = await repo.findCertificate(deps.ctx.store.db, certificateId);
  if (pre?.status !== 'pending-seal') return 'skipped';
  const rendered = await renderAndStore(deps, pre, await sealContext(deps, pre.agency_id));
  return (await commitSealed(deps, [rendered], actor)).has(certificateId) ? 'sealed' : 'skipped';
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

/**
 * Runs (or resumes) a batch to the end. Safe to call concurrently or twice: each certificate seals once.
 *
 * A pipeline: certificates are rendered as many at a time as the renderer can use (its worker pool), and the
 * rendered ones are marked sealed `chunk` at a time in one transaction while the next ones render. The agency's
 * active seal is looked up for every run of certificates taken from the queue (the seal used is the one valid when
 * that run was taken — within a second or so of its certificates' SignatureDateTime).
 */
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
  const group = Math.max(1, opts.chunk ?? 50);
  const width = Math.max(1, deps.renderer.concurrency ?? 1);
  // Enough in the pipeline that the renderer keeps drawing while a group commits.
  const windowSize = Math.max(2 * group, group + 2 * width);
  const failedIds = new Set<string>();
  const inPipeline = new Set<string>(); // taken from the queue, not yet committed (rendering or ready)
  const ready: Rendered[] = [];
  let rendering = 0;
  let exhausted = false;
  let stop: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const fail = async (id: string, e: unknown) => {
    failedIds.add(id);
    const msg = e instanceof Error ? e.message : String(e);
    ctx.log.error({ certificateId: id, err: msg }, 'sealing failed');
    await repo.bumpBatch(ctx.store.db, batchId, 0, 1, msg.slice(0, 500));
  };

  const refill = async () => {
    const room = windowSize - inPipeline.size;
    if (room < Math.min(group, windowSize / 2) || exhausted || stop) return;
    // The next pending certificates not already taken, whole rows in one query (the embedded database is one
    // connection shared with whoever is recording entries: every query here waits its turn).
    let q = ctx.store.db
      .selectFrom('certificates')
      .selectAll()
      .where('agency_id', '=', batch.agency_id)
      .where('status', '=', 'pending-seal')
      .orderBy('created_at')
      .orderBy('id')
      .limit(room);
    const taken = [...inPipeline, ...failedIds];
    if (taken.length) q = q.where('id', 'not in', taken);
    const only = batch.certificate_ids;
    if (only) q = q.where('id', 'in', only.length ? [...only] : ['00000000-0000-0000-0000-000000000000']);
    const rows = await q.execute();
    if (rows.length === 0) {
      exhausted = true;
      return;
    }
    let x: SealContext;
    try {
      x = await sealContext(deps, batch.agency_id);
    } catch (e) {
      // NO_ACTIVE_SEAL (or the catalog unreachable): nothing more can be sealed now
      stop = e;
      await fail(rows[0]!.id, e);
      return;
    }
    for (const c of rows) {
      if (c.status !== 'pending-seal') continue;
      inPipeline.add(c.id);
      rendering++;
      renderAndStore(deps, c, x).then(
        (r) => {
          rendering--;
          ready.push(r);
          notify();
        },
        async (e: unknown) => {
          await fail(c.id, e).catch(() => {});
          rendering--;
          inPipeline.delete(c.id);
          notify();
        },
      );
    }
  };

  for (;;) {
    await refill();
    if (ready.length >= group || (ready.length > 0 && (rendering === 0 || stop))) {
      const items = ready.splice(0, group);
      try {
        await commitSealed(deps, items, actor, batchId);
      } finally {
        for (const it of items) inPipeline.delete(it.id);
      }
      exhausted = false; // certificates recorded meanwhile join this batch, as they always did
      opts.onProgress?.((await repo.findBatch(ctx.store.db, batchId))!);
      continue;
    }
    if (rendering === 0 && ready.length === 0) {
      if (stop || exhausted) break;
      continue;
    }
    await new Promise<void>((r) => {
      wake = r;
    });
  }
  if (stop instanceof DomainError && stop.code === 'NO_ACTIVE_SEAL') {
    await repo.finishBatch(ctx.store.db, batchId, 'failed', ctx.now());
    return (await repo.findBatch(ctx.store.db, batchId))!;
  }
  await renderCancellations(deps, batch.agency_id);
  await repo.finishBatch(ctx.store.db, batchId, failedIds.size || stop ? 'failed' : 'done', ctx.now());
  return (await repo.findBatch(ctx.store.db, batchId))!;
}

/** Certificates of an agency waiting for their seal. */
export function pendingCount(deps: IssuanceDeps, agencyId: string): Promise<number> {
  return repo.countPending(deps.ctx.store.db, agencyId);
}

/** Batches of an agency still running (a process that ran them stopped), oldest first: the stock import resumes them. */
export async function unfinishedBatches(
  deps: IssuanceDeps,
  agencyId: string,
  trigger?: StartBatchOptions['trigger'],
): Promise<repo.SealBatchRow[]> {
  return (await repo.runningBatches(deps.ctx.store.db)).filter(
    (b) => b.agency_id === agencyId && (!trigger || b.trigger === trigger),
  );
}

/** On start: finish what a crash interrupted. */
export async function resumeBatches(deps: IssuanceDeps): Promise<number> {
  const running = await repo.runningBatches(deps.ctx.store.db);
  for (const b of running) await runBatch(deps, b.id);
  return running.length;
}
