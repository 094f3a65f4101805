import { renderCertificate } from '../../documents/render.js';
import type { CertificateRenderer } from './renderer.js';

/** The CertificateRenderer of src/documents: layout → OFD sealed with the agency seal, and the PDF copy. */
export function documentsRenderer(): CertificateRenderer {
  return {
    async renderSealed(i) {
      const r = await renderCertificate({
        face: i.face,
        seal: i.seal,
        time: i.sealedAt,
        docId: i.face.identifier.replace(/[^0-9A-Z]/g, '').slice(-32),
        meta: i.meta,
      });
      return { ofd: r.ofd, pdf: r.pdf };
    },
    async renderCancelled(i) {
      // Bound to the original by its identifier (YZZBS in the metadata and printed on every page) and sealed anew by
      // the agency at the time of cancellation; the original sealed file is never changed (docs/ofd.md).
      const r = await renderCertificate({
        face: i.face,
        seal: i.seal,
        time: i.sealedAt,
        docId: `${i.face.identifier.replace(/[^0-9A-Z]/g, '').slice(-28)}ZX`,
        meta: i.meta,
        cancelled: {
          note: `本证已于${i.cancelledAt.toISOString().slice(0, 10)}注销：${i.reason}（原证照标识 ${i.face.identifier}）`,
        },
      });
      return { ofd: r.ofd, pdf: r.pdf };
    },
  };
}
