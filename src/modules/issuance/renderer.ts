import type { FaceData } from '../../domain/face-data.js';
import type { ActiveSeal } from '../catalog/service.js';

/**
 * What issuance needs from the documents context: a sealed OFD (the authoritative file) and a PDF convenience copy
 * with the same layout, and the 已注销 renditions of a cancelled certificate. Kept as a port so issuance does not
 * depend on layout details; `documents-renderer.ts` implements it with src/documents.
 */
export interface RenderInput {
  readonly face: FaceData;
  readonly seal: ActiveSeal;
  readonly sealedAt: Date;
  /** 查询二维码 content: the verification URL. */
  readonly queryUrl: string;
  /** 信息二维码 content: the signed BDC1 payload. */
  readonly infoQr: string;
  readonly agencyName: string;
  /** Metadata to embed (standards.md §6). */
  readonly meta: Readonly<Record<string, string>>;
}

export interface RenderedFiles {
  readonly ofd: Uint8Array;
  readonly pdf: Uint8Array;
  /** SM3 hex of the files when the renderer already computed it (saves hashing them again to store them). */
  readonly ofdSm3?: string;
  readonly pdfSm3?: string;
}

/** Files the renderer has already written into the application's blob store: their names (SM3). */
export interface StoredFiles {
  readonly stored: true;
  readonly ofdSm3: string;
  readonly pdfSm3: string;
}

export interface CertificateRenderer {
  /** How many renders it can usefully run at once (its worker threads); the sealing batch keeps that many going. */
  readonly concurrency?: number;
  /** The sealed files — as bytes, or already in the blob store (a renderer that writes them where it draws them). */
  renderSealed(input: RenderInput): Promise<RenderedFiles | StoredFiles>;
  /** The 已注销 rendition: the same certificate watermarked on every page, sealed anew, referring to the original. */
  renderCancelled(input: RenderInput & { readonly cancelledAt: Date; readonly reason: string }): Promise<RenderedFiles>;
}
