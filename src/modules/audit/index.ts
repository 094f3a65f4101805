/**
 * The audit API other contexts call (issue 7 §5). Write inside your transaction:
 *
 *   await audit.record(trx, { actor: actorOf(req.principal), action: 'share.download', certificateId, issuingAgencyId,
 *     holderKey, purpose, caseNo, result: 'success', ...auditRequest(req) });
 *
 * A refused call is recorded too (`result: 'denied'`, `reason: '<ERROR_CODE>'`), in its own short transaction when the
 * caller's transaction rolls back.
 */
import {
  actorOf,
  auditByCertificate,
  auditByIssuer,
  auditRequest,
  pruneAudit,
  recordAudit,
  recordAuditMany,
  usageSummary,
  verifyAuditChain,
} from './audit.js';

export type { AuditActor, AuditEntryInput, AuditEntryView, AuditFinding, AuditPage } from './audit.js';
export { AuditBuffer } from './audit.js';
export { actorOf, auditRequest };

export const audit = {
  record: recordAudit,
  recordMany: recordAuditMany,
  byCertificate: auditByCertificate,
  byIssuer: auditByIssuer,
  usageSummary,
  verify: verifyAuditChain,
  prune: pruneAudit,
} as const;
