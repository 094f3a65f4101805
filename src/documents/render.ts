import type { Sm2Signer } from '../crypto/sm2.js';
import type { FaceData } from '../domain/face-data.js';
import { digestHexOf } from './digests.js';
import { sharedFontSource } from './fonts.js';
import { annotate, layoutCertificate, watermarkCancelled } from './layout/certificate.js';
import { sealPackage } from './ofd/seal.js';
import { buildOfdPackage } from './ofd/writer.js';
import { CONVENIENCE_NOTE, FOOTER_ROLE, renderPdf } from './pdf/index.js';
import { renderInfoQr } from './qr/info.js';
import { renderQueryQrLayered } from './qr/query.js';

/**
 * One call from face data to the sealed OFD and its PDF convenience copy, both drawn from the same page model.
 */
export interface SealMaterial {
  readonly sealDer: Uint8Array;
  readonly signerCertDer: Uint8Array;
  readonly signer: Sm2Signer;
  readonly picturePng: Uint8Array;
}

export interface RenderCertificateOptions {
  readonly face: FaceData;
  readonly seal: SealMaterial;
  readonly time: Date;
  readonly docId: string;
  readonly meta: Readonly<Record<string, string>>;
  /** The 已注销 rendition (Huangchuan 1.7). */
  readonly cancelled?: { readonly note: string };
  /** 加注件: an annotated copy for a user, stamped with the use cause, user and expiry on every page. */
  readonly annotation?: string;
}

export interface RenderedCertificate {
  readonly ofd: Uint8Array;
  readonly pdf: Uint8Array;
  readonly pages: number;
  /** SM3 (hex) of each file: the blob store's name. From the shared prefix's state (digests.ts), so cheap here. */
  readonly ofdSm3: string;
  readonly pdfSm3: string;
}

export async function renderCertificate(o: RenderCertificateOptions): Promise<RenderedCertificate> {
  // The query QR in two layers (a 1-bit symbol and the shared mark picture over it): the same page, less to compress.
  const query = renderQueryQrLayered(o.face.queryQr, { sizeMm: 24 });
  const info = renderInfoQr(o.face.infoQr, { sizeMm: 24 });
  let doc = layoutCertificate(o.face, {
    queryQrPng: query.qr.png,
    queryQrMark: { ...query.mark, qrWidthPx: query.qr.widthPx },
    infoQrPng: info.png,
    meta: o.meta,
  });
  if (o.cancelled) doc = watermarkCancelled(doc, o.cancelled.note);
  if (o.annotation) doc = annotate(doc, o.annotation);
  // The OFD's serif subset also carries the PDF footer's characters, so the PDF reuses the OFD's subsets.
  const pkg = await buildOfdPackage(doc, {
    docId: o.docId,
    creationDate: o.time,
    signatures: true,
    extraChars: { [FOOTER_ROLE]: CONVENIENCE_NOTE },
  });
  const ofd = await sealPackage(pkg.files, {
    sealDer: o.seal.sealDer,
    signerCertDer: o.seal.signerCertDer,
    signer: o.seal.signer,
    anchor: doc.sealAnchor!,
    time: o.time,
    pageIds: pkg.pageIds,
  });
  const pdf = await renderPdf(doc, { fonts: sharedFontSource, sealPng: o.seal.picturePng, createdAt: o.time });
  return { ofd, pdf, pages: doc.pages.length, ofdSm3: digestHexOf(ofd), pdfSm3: digestHexOf(pdf) };
}
