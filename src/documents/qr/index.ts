export { type CertificateQrCodes, type CertificateQrInput, certificateQrCodes } from './certificate.js';
export {
  type CertificateKind,
  canonicalJson,
  claimsOf,
  encodeInfoQr,
  INFO_QR_PREFIX,
  type InfoQrClaims,
  type InfoQrFacts,
  type InfoQrFailure,
  type InfoQrOptions,
  type InfoQrVerification,
  keyIdOf,
  renderInfoQr,
  verifyInfoQr,
} from './info.js';
export { drawRegistrationMark, registrationMarkPng, registrationMarkSvg } from './mark.js';
export {
  isVerificationToken,
  mintVerificationToken,
  type QrImage,
  type QueryQrOptions,
  renderQueryQr,
  renderQueryQrLayered,
  TOKEN_BYTES,
  tokenFromUrl,
  verificationUrl,
} from './query.js';
