import { randomUUID } from 'node:crypto';
import { sm3Hex } from '../../crypto/sm3.js';
import { mintVerificationToken } from '../../documents/qr/query.js';
import type { FaceInput } from '../../domain/face-data.js';
import type { LifecycleEvent } from '../../domain/lifecycle.js';
import { DomainError } from '../../domain/problem.js';
import { type AuditActor, recordAudit } from '../audit/audit.js';
import * as catalogRepo from '../catalog/repository.js';
import * as repo from '../issuance/repository.js';
import { applyEvent, type IssuanceDeps, issue } from '../issuance/service.js';
import * as registerRepo from '../register/repository.js';
import { archiveCase } from './archive.js';
import * as lifecycleRepo from './repository.js';

/** Status changes a clerk may make with a reason (Nanyang Art. 9: 变更、延续、吊销、注销、废止、挂起、质押). */
export const STATUS_ACTIONS = [
  'cancel',
  'revoke',
  'void',
  'suspend',
  'resume',
  'pledge',
  'release-pledge',
  'renew',
  'change',
] as const;
export type StatusAction = (typeof STATUS_ACTIONS)[number];

export async function changeStatus(
  deps: IssuanceDeps,
  certificateId: string,
  action: StatusAction,
  reason: string,
  actor: AuditActor,
): Promise<repo.CertificateRow> {
  if (!reason.trim()) throw new DomainError('REASON_REQUIRED', '请填写原因', 'A reason is required', 'reason');
  await deps.ctx.store.db.transaction().execute(async (trx) => {
    const c = await repo.lockCertificate(trx, certificateId);
    if (!c) throw new DomainError('CERTIFICATE_NOT_FOUND', '证照不存在', 'Certificate not found', 'certificateId');
    await applyEvent(deps, trx, c, action as LifecycleEvent, reason, actor);
  });
  return (await repo.findCertificate(deps.ctx.store.db, certificateId))!;
}

export interface CorrectOptions {
  readonly certificateId: string;
  /** The corrected face data (as the registration system would send it). */
  readonly face: FaceInput;
  readonly reason: string;
  /** 更正登记 业务号 — required when the holder already downloaded the certificate (Huangchuan 4.3). */
  readonly correctionBusinessNo?: string;
  readonly actor: AuditActor;
}

/**
 * Correction (Huangchuan 4.3): never downloaded → roll back (the old version becomes invalid) and reissue as identifier
 * version +1 with the same number; already downloaded → a 更正登记 is recorded, the old certificate is cancelled and
 * the corrected one issued as version +1.
 */
export async function correct(
  deps: IssuanceDeps,
  o: CorrectOptions,
): Promise<{ oldId: string; newId: string; identifier: string; path: 'rollback' | 'correction-registration' }> {
  const { ctx } = deps;
  if (!o.reason.trim()) throw new DomainError('REASON_REQUIRED', '请填写更正原因', 'A reason is required', 'reason');
  const old = await repo.findCertificate(ctx.store.db, o.certificateId);
  if (!old) throw new DomainError('CERTIFICATE_NOT_FOUND', '证照不存在', 'Certificate not found', 'certificateId');
  if (o.face.kind !== old.kind)
    throw new DomainError(
      'DOCUMENT_KIND_MISMATCH',
      '更正不能改变证照种类',
      'A correction cannot change the kind',
      'face.kind',
    );
  // Huangchuan 4.3 allows the rollback only while the holder has nothing in hand: neither the downloaded file nor the
  // paper certificate (2.3–2.4) — a paper copy collected needs the correction registration too.
  const paper = await lifecycleRepo.findPaperCollection(ctx.store.db, old.id);
  if ((old.collected || paper) && !o.correctionBusinessNo) {
    throw new DomainError(
      'CORRECTION_REGISTRATION_REQUIRED',
      paper && !old.collected
        ? '权利人已领取纸质证书，须办理更正登记并提供业务号'
        : '权利人已下载该证照，须办理更正登记并提供业务号',
      paper && !old.collected
        ? 'The holder collected the paper certificate: a correction registration (business number) is required'
        : 'The holder has downloaded it: a correction registration (business number) is required',
      'correctionBusinessNo',
    );
  }
  const agency = (await catalogRepo.findAgency(ctx.store.db, old.agency_id))!;
  const token = mintVerificationToken();
  return ctx.store.db.transaction().execute(async (trx) => {
    const c = await repo.lockCertificate(trx, o.certificateId);
    if (!c) throw new DomainError('CERTIFICATE_NOT_FOUND', '证照不存在', 'Certificate not found', 'certificateId');
    const path = c.collected || paper ? 'correction-registration' : 'rollback';
    let entryId = c.entry_id;
    if (path === 'correction-registration') {
      entryId = randomUUID();
      await registerRepo.insertEntry(trx, {
        id: entryId,
        agency_id: c.agency_id,
        business_no: o.correctionBusinessNo!,
        registration_type: '500',
        right_type_code: o.face.kind === 'property-certificate' ? o.face.rightTypeCode : null,
        unit_no: c.unit_no,
        recorded_at: ctx.now(),
        case_id: null,
        source: 'api',
        payload_enc: ctx.fieldCrypto.encrypt(
          JSON.stringify({ correctionOf: c.identifier, face: o.face, reason: o.reason }),
        ),
        payload_sm3: sm3Hex(JSON.stringify({ correctionOf: c.identifier, face: o.face })),
        outcome: { document: c.kind, reason: `更正登记：${o.reason}` },
      });
    }
    await applyEvent(
      deps,
      trx,
      c,
      path === 'rollback' ? 'rollback' : 'cancel',
      `${path === 'rollback' ? '回退更正' : '更正登记注销'}：${o.reason}`,
      o.actor,
    );
    const issued = await issue(deps, trx, {
      agency,
      input: {
        businessNo: o.correctionBusinessNo ?? `CORR-${c.serial}`,
        registrationType: '500',
        recordedAt: ctx.now().toISOString(),
        unitNo: c.unit_no,
        location: o.face.location,
      },
      face: o.face,
      kind: c.kind,
      entryId,
      token,
      actor: o.actor,
      now: ctx.now(),
      version: c.version + 1,
      predecessorId: c.id,
      reuse: { year: c.year, serial: c.serial },
    });
    return { oldId: c.id, newId: issued.id, identifier: issued.identifier, path };
  });
}

/**
 * A holder's download (Huangchuan 2.2): any number of times; the first one is the collection time (领用时间) and
 * archives the case (2.5). Cancelled certificates give their 已注销 rendition.
 */
/**
 * The sealed file a holder may have: the cancelled rendition (watermark 已注销) once the certificate has ended. A
 * certificate not sealed yet (or rolled back) has none.
 */
async function sealedFile(
  deps: IssuanceDeps,
  c: repo.CertificateRow,
  format: 'ofd' | 'pdf',
): Promise<{ bytes: Uint8Array; cancelled: boolean }> {
  const cancelled = ['superseded', 'cancelled', 'revoked', 'voided'].includes(c.status);
  const blob = cancelled
    ? format === 'ofd'
      ? (c.cancelled_ofd_blob ?? c.ofd_blob)
      : (c.cancelled_pdf_blob ?? c.pdf_blob)
    : format === 'ofd'
      ? c.ofd_blob
      : c.pdf_blob;
  if (!blob || c.status === 'pending-seal' || c.status === 'rolled-back') {
    throw new DomainError(
      'NOT_DOWNLOADABLE',
      '证照尚未签章，暂不能下载',
      'The certificate is not sealed yet',
      'certificateId',
    );
  }
  const bytes = await deps.ctx.blobs.get(blob);
  if (!bytes) throw new Error(`file ${blob} missing from the file store`);
  return { bytes, cancelled };
}

/**
 * The holder's preview (view in the browser): the same file as a download, but it is not a collection — no 领用时间,
 * no download event (Huangchuan 2.2 counts downloads) — only an audited read (Nanyang Art. 20).
 */
export async function preview(
  deps: IssuanceDeps,
  c: repo.CertificateRow,
  format: 'ofd' | 'pdf',
  actor: AuditActor,
  request: { ip: string; requestId: string },
): Promise<{ bytes: Uint8Array; filename: string; cancelled: boolean }> {
  const { bytes, cancelled } = await sealedFile(deps, c, format);
  await recordAudit(deps.ctx.store.db, {
    actor,
    action: 'certificate.preview',
    objectType: 'certificate',
    objectId: c.id,
    certificateId: c.id,
    issuingAgencyId: c.agency_id,
    result: 'success',
    details: { format, cancelledRendition: cancelled },
    ...request,
  });
  return { bytes, filename: fileNameOf(c, format, cancelled), cancelled };
}

/** The download's file name: the certificate number without brackets, marked when it is the cancelled rendition. */
function fileNameOf(c: repo.CertificateRow, format: 'ofd' | 'pdf', cancelled: boolean): string {
  return `${c.certificate_no.replace(/[()]/g, '_')}${cancelled ? '_已注销' : ''}.${format}`;
}

export async function download(
  deps: IssuanceDeps,
  certificateId: string,
  format: 'ofd' | 'pdf',
  actor: AuditActor,
  collects: boolean,
): Promise<{ bytes: Uint8Array; filename: string; collectedAt: Date | null; cancelled: boolean }> {
  const { ctx } = deps;
  const c0 = await repo.findCertificate(ctx.store.db, certificateId);
  if (!c0) throw new DomainError('CERTIFICATE_NOT_FOUND', '证照不存在', 'Certificate not found', 'certificateId');
  const { bytes, cancelled } = await sealedFile(deps, c0, format);
  let collectedAt = c0.collected_at;
  await ctx.store.db.transaction().execute(async (trx) => {
    const c = (await repo.lockCertificate(trx, certificateId))!;
    collectedAt = c.collected_at;
    if (collects && c.status === 'issued' && !c.collected) {
      const at = ctx.now();
      await applyEvent(deps, trx, c, 'collect', '权利人首次下载（领用），登记案卷归档', actor, { collected_at: at });
      collectedAt = at;
      // Huangchuan 2.5: the first download archives the case (unless the paper collection did already).
      await archiveCase(trx, { certificate: c, trigger: 'first-download', actor, at });
    }
    await repo.insertEvent(trx, {
      certificate_id: c.id,
      event: 'download',
      from_status: c.status,
      to_status: c.status,
      reason: format.toUpperCase(),
      actor,
      at: ctx.now(),
    });
    await recordAudit(trx, {
      actor,
      action: 'certificate.download',
      objectType: 'certificate',
      objectId: c.id,
      certificateId: c.id,
      issuingAgencyId: c.agency_id,
      result: 'success',
      details: { format, cancelledRendition: cancelled },
    });
  });
  return { bytes, filename: fileNameOf(c0, format, cancelled), collectedAt, cancelled };
}
