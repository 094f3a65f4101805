import type { Sm2Signer } from '../../crypto/sm2.js';
import { encodeInfoQr, type InfoQrFacts, renderInfoQr } from './info.js';
import { type QrImage, renderQueryQr, verificationUrl } from './query.js';

/** Both codes a certificate face needs (Henan 附件2), ready for the layout's image slots. */
export interface CertificateQrCodes {
  readonly queryUrl: string;
  readonly query: QrImage;
  readonly infoPayload: string;
  readonly info: QrImage;
}

export interface CertificateQrInput {
  readonly baseUrl: string;
  /** From mintVerificationToken(), stored with the certificate record. */
  readonly token: string;
  readonly facts: InfoQrFacts;
  /** The issuing node's key (signs the 信息二维码). */
  readonly signer: Sm2Signer;
  /** Slot size of each code, millimetres (default 25). */
  readonly sizeMm?: number;
  readonly dpi?: number;
}

export async function certificateQrCodes(i: CertificateQrInput): Promise<CertificateQrCodes> {
  const queryUrl = verificationUrl(i.baseUrl, i.token);
  const infoPayload = await encodeInfoQr(i.facts, i.signer);
  const size = { sizeMm: i.sizeMm ?? 25, dpi: i.dpi ?? 300 };
  return { queryUrl, query: renderQueryQr(queryUrl, size), infoPayload, info: renderInfoQr(infoPayload, size) };
}
