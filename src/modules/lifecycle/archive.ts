import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import { DomainError } from '../../domain/problem.js';
import { appendOutbox } from '../../store/outbox.js';
import type { Database } from '../../store/schema.js';
import { type AuditActor, recordAudit } from '../audit/audit.js';
import * as issuanceRepo from '../issuance/repository.js';
import type { IssuanceDeps } from '../issuance/service.js';
import { maskIdNumber, maskName } from '../privacy/mask.js';
import * as registerRepo from '../register/repository.js';
import type { ArchiveTrigger } from '../register/tables.js';
import * as repo from './repository.js';

/**
 * Archiving the case file (Huangchuan 2.5: “当事人首次下载电子证照或直接申领纸质不动产权证书和不动产登记证明后，登记案卷即
 * 按照程序予以归档”): the register entry that produced a certificate is archived once — at the holder's first
 * download or when the paper certificate is collected, whichever comes first — with who, when and which trigger,
 * and an outbox event `case.archived` for the records system. Later downloads or collections archive nothing again.
 */
export async function archiveCase(
  trx: Transaction<Database>,
  o: {
    readonly certificate: issuanceRepo.CertificateRow;
    readonly trigger: ArchiveTrigger;
    readonly actor: AuditActor;
    readonly at: Date;
  },
): Promise<boolean> {
  const c = o.certificate;
  const entry = await registerRepo.getEntry(trx, c.entry_id);
  const archived = await repo.insertArchive(trx, {
    entry_id: c.entry_id,
    agency_id: c.agency_id,
    case_id: entry?.case_id ?? null,
    certificate_id: c.id,
    trigger: o.trigger,
    actor: o.actor,
    archived_at: o.at,
  });
  if (!archived) return false;
  await appendOutbox(trx, {
    aggregateType: 'case',
    aggregateId: c.entry_id,
    eventType: 'case.archived',
    payload: {
      entryId: c.entry_id,
      businessNo: entry?.business_no,
      caseId: entry?.case_id ?? null,
      certificateId: c.id,
      identifier: c.identifier,
      agencyId: c.agency_id,
      trigger: o.trigger,
      archivedAt: o.at.toISOString(),
    },
  });
  await recordAudit(trx, {
    actor: o.actor,
    action: 'case.archive',
    objectType: 'register-entry',
    objectId: c.entry_id,
    certificateId: c.id,
    issuingAgencyId: c.agency_id,
    result: 'success',
    details: { trigger: o.trigger, businessNo: entry?.business_no },
  });
  return true;
}

export interface PaperCollectionInput {
  readonly certificateId: string;
  /** Who collected it (the holder or an agent); stored encrypted. */
  readonly collectorName: string;
  readonly collectorIdNumber?: string;
  /** 编号: the serial printed on the paper form. */
  readonly paperSerialNo?: string;
  readonly note?: string;
  readonly actor: AuditActor;
}

/**
 * 领取纸质证书 (Huangchuan 2.3–2.4): a holder collects the paper 不动产权证书/证明 — after downloading the electronic one
 * or instead of it. Recorded once per certificate, on the certificate's timeline, audited, with an outbox event, and
 * it archives the case when the first download has not already done so (2.5).
 */
export async function recordPaperCollection(
  deps: IssuanceDeps,
  o: PaperCollectionInput,
): Promise<{ collection: repo.PaperCollectionRow; archivedNow: boolean }> {
  const { ctx } = deps;
  const at = ctx.now();
  return ctx.store.db.transaction().execute(async (trx) => {
    const c = await issuanceRepo.lockCertificate(trx, o.certificateId);
    if (!c) throw new DomainError('CERTIFICATE_NOT_FOUND', '证照不存在', 'Certificate not found', 'certificateId');
    if (c.status !== 'issued' && c.status !== 'suspended')
      throw new DomainError(
        'NOT_COLLECTABLE',
        '只有已签发的有效证照才能领取纸质证书',
        'Only an issued certificate can be collected on paper',
        'certificateId',
      );
    if (await repo.findPaperCollection(trx, c.id))
      throw new DomainError(
        'PAPER_ALREADY_COLLECTED',
        '该证照的纸质证书已领取',
        'The paper certificate was collected already',
        'certificateId',
      );
    const idNumber = o.collectorIdNumber?.trim();
    await repo.insertPaperCollection(trx, {
      id: randomUUID(),
      certificate_id: c.id,
      entry_id: c.entry_id,
      collector_enc: ctx.fieldCrypto.encrypt(
        JSON.stringify({ name: o.collectorName.trim(), idNumber: idNumber ?? null }),
      ),
      collector_key: idNumber ? ctx.fieldCrypto.index(idNumber) : null,
      paper_serial_no: o.paperSerialNo?.trim() || null,
      note: o.note?.trim() || null,
      recorded_by: o.actor,
      collected_at: at,
    });
    const reason = `领取纸质${c.kind === 'property-certificate' ? '不动产权证书' : '不动产登记证明'}${o.paperSerialNo ? `（编号${o.paperSerialNo}）` : ''}`;
    await issuanceRepo.insertEvent(trx, {
      certificate_id: c.id,
      event: 'paper-collect',
      from_status: c.status,
      to_status: c.status,
      reason,
      actor: o.actor,
      at,
    });
    await appendOutbox(trx, {
      aggregateType: 'certificate',
      aggregateId: c.id,
      eventType: 'certificate.paper-collected',
      payload: { identifier: c.identifier, agencyId: c.agency_id, paperSerialNo: o.paperSerialNo ?? null },
    });
    await recordAudit(trx, {
      actor: o.actor,
      action: 'certificate.paper-collect',
      objectType: 'certificate',
      objectId: c.id,
      certificateId: c.id,
      issuingAgencyId: c.agency_id,
      result: 'success',
      details: { paperSerialNo: o.paperSerialNo ?? null, collector: maskName(o.collectorName.trim()) },
    });
    const archivedNow = await archiveCase(trx, { certificate: c, trigger: 'paper-collection', actor: o.actor, at });
    return { collection: (await repo.findPaperCollection(trx, c.id))!, archivedNow };
  });
}

/** Archive and paper collection of a certificate, as the certificate detail shows them (names and IDs masked). */
export async function archiveStatus(deps: Pick<IssuanceDeps, 'ctx'>, c: issuanceRepo.CertificateRow) {
  const db = deps.ctx.store.db;
  const [a, p] = await Promise.all([repo.findArchive(db, c.entry_id), repo.findPaperCollection(db, c.id)]);
  const collector = p
    ? (JSON.parse(deps.ctx.fieldCrypto.decrypt(p.collector_enc)) as { name: string; idNumber: string | null })
    : undefined;
  return {
    archive: a
      ? {
          trigger: a.trigger,
          archivedAt: a.archived_at.toISOString(),
          actor: a.actor,
          certificateId: a.certificate_id,
          caseId: a.case_id,
        }
      : null,
    paperCollection:
      p && collector
        ? {
            collectedAt: p.collected_at.toISOString(),
            collector: maskName(collector.name),
            collectorIdNumber: collector.idNumber ? maskIdNumber(collector.idNumber) : null,
            paperSerialNo: p.paper_serial_no,
            note: p.note,
            recordedBy: p.recorded_by,
          }
        : null,
  };
}
