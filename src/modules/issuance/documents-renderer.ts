import { createRenderPool, PER_WORKER, type RenderPool } from '../../documents/pool.js';
import type { RenderCertificateOptions, RenderedCertificate } from '../../documents/render.js';
import type { CertificateRenderer, RenderedFiles, StoredFiles } from './renderer.js';

/**
 * The CertificateRenderer of src/documents: layout → OFD sealed with the agency seal, and the PDF copy — drawn on a
 * pool of worker threads (src/documents/pool.ts; `workers` from BDCERT_RENDER_WORKERS in src/config.ts, default one
 * per core, 0 = on this thread),
 * with the SM2 signature made by the seal's signer — on the key store's signing thread when it has one, else on
 * this thread. The pool starts with the first certificate.
 * With `blobRoot` (the application's FsBlobStore directory) sealed files are written by the workers themselves.
 */
export function documentsRenderer(
  opts: { readonly pool?: RenderPool; readonly workers?: number; readonly blobRoot?: string } = {},
): CertificateRenderer & {
  close(): Promise<void>;
} {
  let pool = opts.pool;
  const get = (): RenderPool => {
    pool ??= createRenderPool({
      ...(opts.workers === undefined ? {} : { size: opts.workers }),
      ...(opts.blobRoot ? { blobRoot: opts.blobRoot } : {}),
    });
    return pool;
  };
  const files = (r: RenderedCertificate): RenderedFiles => ({
    ofd: r.ofd,
    pdf: r.pdf,
    ofdSm3: r.ofdSm3,
    pdfSm3: r.pdfSm3,
  });
  const render = (o: RenderCertificateOptions): Promise<RenderedCertificate> => get().render(o);
  return {
    get concurrency() {
      // as many as the workers keep in flight (pool.ts PER_WORKER says why several)
      return Math.max(1, PER_WORKER * get().size);
    },
    async renderSealed(i): Promise<RenderedFiles | StoredFiles> {
      const o: RenderCertificateOptions = {
        face: i.face,
        seal: i.seal,
        time: i.sealedAt,
        docId: i.face.identifier.replace(/[^0-9A-Z]/g, '').slice(-32),
        meta: i.meta,
      };
      if (!opts.blobRoot) return files(await render(o));
      const r = await get().renderToStore(o);
      return { stored: true, ofdSm3: r.ofdSm3, pdfSm3: r.pdfSm3 };
    },
    async renderCancelled(i) {
      // Bound to the original by its identifier (YZZBS in the metadata and printed on every page) and sealed anew by
      // the agency at the time of cancellation; the original sealed file is never changed (docs/ofd.md).
      const r = await render({
        face: i.face,
        seal: i.seal,
        time: i.sealedAt,
        docId: `${i.face.identifier.replace(/[^0-9A-Z]/g, '').slice(-28)}ZX`,
        meta: i.meta,
        cancelled: {
          note: `本证已于${i.cancelledAt.toISOString().slice(0, 10)}注销：${i.reason}（原证照标识 ${i.face.identifier}）`,
        },
      });
      return files(r);
    },
    async close() {
      await pool?.close();
    },
  };
}
