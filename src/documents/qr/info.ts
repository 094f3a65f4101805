import type { Sm2PublicKey, Sm2Signer } from '../../crypto/sm2.js';
import { sm3 } from '../../crypto/sm3.js';
import { maskName } from '../../modules/privacy/mask.js';
import { encodePng } from '../png.js';
import type { QrImage } from './query.js';
import { qrGrayRows, qrMatrix, qrScale } from './raster.js';

/**
 * 信息二维码 (information QR; Henan 附件2 requires it beside the query QR). It carries the key face facts and an SM2
 * signature of the issuing node, so a phone can check it offline against the node's published public key.
 *
 * Wire format, version 1 (docs/qr-codes.md):
 *   `BDC1.` base64url(canonical JSON) `.` base64url(DER SM2 signature)
 * The signature (SM3withSM2, ID 1234567812345678) is over the ASCII bytes of everything before the second dot,
 * i.e. `BDC1.<json>` — the prefix is signed too, so a payload cannot be relabelled to another version.
 * Canonical JSON: one flat object, string values only, keys sorted, no whitespace (JSON.stringify of a key-sorted
 * object); the verifier re-serialises and rejects any payload that is not byte-identical, so there is exactly one
 * signed form of a set of facts.
 */
export const INFO_QR_PREFIX = 'BDC1.';

export type CertificateKind = 'certificate' | 'proof';

/** What the face shows (unmasked input; the holder is masked here, never on the caller's trust). */
export interface InfoQrFacts {
  /** 不动产权证书 | 不动产登记证明. */
  readonly kind: CertificateKind;
  /** 电子证照标识. */
  readonly identifier: string;
  /** 不动产权证书号 / 不动产登记证明号. */
  readonly number: string;
  /** 不动产单元号. */
  readonly unitNumber: string;
  /** 权利人 names; several holders joined by 、. Masked before encoding (Huangchuan 5.2.3): first character + `*`. */
  readonly holder: string;
  /** 登记时间/发证日期, `YYYYMMDD` or `YYYY-MM-DD`. */
  readonly issueDate: string;
  /** 登记机构代码 (统一社会信用代码). */
  readonly issuerCode: string;
}

/** The signed payload as carried in the QR (short keys to keep the symbol small). */
export interface InfoQrClaims {
  /** 'Q' 不动产权证书 (C0203), 'M' 不动产登记证明 (C0204). */
  readonly t: 'Q' | 'M';
  readonly i: string;
  readonly n: string;
  readonly u: string;
  /** Masked holder(s). */
  readonly h: string;
  /** YYYYMMDD. */
  readonly d: string;
  readonly o: string;
  /** Key id of the signing node: hex of the first 8 bytes of SM3(SubjectPublicKeyInfo DER). */
  readonly k: string;
}

export function keyIdOf(publicKey: Sm2PublicKey): string {
  return Buffer.from(sm3(publicKey.toSpkiDer()).subarray(0, 8)).toString('hex');
}

/**
 * First character and one `*` per holder (`张三` → `张*`, `中国建设银行股份有限公司潢川支行` → `中*`): hides the length
 * too, and keeps the symbol small — a long organisation name masked character by character pushed the code past
 * what a 24 mm slot reads reliably.
 */
function maskHolders(holder: string): string {
  return holder
    .split('、')
    .map((n) => maskName(n))
    .filter((n) => n.length > 0)
    .map((n) => (Array.from(n).length > 1 ? `${Array.from(n)[0]}*` : n))
    .join('、');
}

function normaliseDate(d: string): string {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(d.trim());
  if (!m) throw new Error(`信息二维码：日期格式错误 ${d} / info QR: bad date, expected YYYYMMDD`);
  return `${m[1]}${m[2]}${m[3]}`;
}

export function claimsOf(facts: InfoQrFacts, publicKey: Sm2PublicKey): InfoQrClaims {
  return {
    t: facts.kind === 'certificate' ? 'Q' : 'M',
    i: facts.identifier,
    n: facts.number,
    u: facts.unitNumber,
    h: maskHolders(facts.holder),
    d: normaliseDate(facts.issueDate),
    o: facts.issuerCode,
    k: keyIdOf(publicKey),
  };
}

export function canonicalJson(claims: InfoQrClaims): string {
  const entries = Object.entries(claims).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(Object.fromEntries(entries));
}

const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

/** Builds and signs the payload string. */
export async function encodeInfoQr(facts: InfoQrFacts, signer: Sm2Signer): Promise<string> {
  const claims = claimsOf(facts, signer.publicKey);
  const signingInput = `${INFO_QR_PREFIX}${b64u(new TextEncoder().encode(canonicalJson(claims)))}`;
  const sig = await signer.sign(new TextEncoder().encode(signingInput));
  return `${signingInput}.${b64u(sig)}`;
}

export type InfoQrFailure =
  | 'INFO_QR_FORMAT'
  | 'INFO_QR_VERSION'
  | 'INFO_QR_NOT_CANONICAL'
  | 'INFO_QR_KEY_MISMATCH'
  | 'INFO_QR_BAD_SIGNATURE';

export type InfoQrVerification =
  | { readonly ok: true; readonly claims: InfoQrClaims }
  | { readonly ok: false; readonly code: InfoQrFailure; readonly message: string; readonly messageEn: string };

const fail = (code: InfoQrFailure, message: string, messageEn: string): InfoQrVerification => ({
  ok: false,
  code,
  message,
  messageEn,
});

const B64U_RE = /^[A-Za-z0-9_-]+$/;
const CLAIM_KEYS = ['d', 'h', 'i', 'k', 'n', 'o', 't', 'u'] as const;

/** Offline check of a scanned 信息二维码 against the issuing node's public key. Never throws on bad input. */
export function verifyInfoQr(payload: string, publicKey: Sm2PublicKey): InfoQrVerification {
  const text = payload.trim();
  if (!text.startsWith('BDC')) return fail('INFO_QR_FORMAT', '不是不动产信息二维码', 'not a bdcert info QR payload');
  if (!text.startsWith(INFO_QR_PREFIX))
    return fail('INFO_QR_VERSION', '不支持的信息二维码版本', 'unsupported info QR version');
  const parts = text.slice(INFO_QR_PREFIX.length).split('.');
  const [body, sig] = parts;
  if (parts.length !== 2 || !body || !sig || !B64U_RE.test(body) || !B64U_RE.test(sig))
    return fail('INFO_QR_FORMAT', '信息二维码格式错误', 'malformed info QR payload');
  const json = Buffer.from(body, 'base64url').toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return fail('INFO_QR_FORMAT', '信息二维码内容不是JSON', 'info QR body is not JSON');
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    Array.isArray(parsed) ||
    Object.keys(parsed).sort().join() !== CLAIM_KEYS.join() ||
    Object.values(parsed).some((v) => typeof v !== 'string')
  )
    return fail('INFO_QR_FORMAT', '信息二维码字段不符', 'info QR fields do not match version 1');
  const claims = parsed as InfoQrClaims;
  // Exactly one signed form: re-encoding must give the same base64url text (also rejects non-canonical base64).
  if (b64u(new TextEncoder().encode(canonicalJson(claims))) !== body)
    return fail('INFO_QR_NOT_CANONICAL', '信息二维码内容非规范形式', 'info QR body is not in canonical form');
  if (claims.k !== keyIdOf(publicKey))
    return fail('INFO_QR_KEY_MISMATCH', '签名密钥与登记节点公钥不符', 'signed by another key than the one given');
  const ok = publicKey.verify(
    new TextEncoder().encode(`${INFO_QR_PREFIX}${body}`),
    new Uint8Array(Buffer.from(sig, 'base64url')),
  );
  if (!ok) return fail('INFO_QR_BAD_SIGNATURE', '信息二维码签名验证失败', 'info QR signature does not verify');
  return { ok: true, claims };
}

export interface InfoQrOptions {
  readonly sizeMm?: number;
  readonly dpi?: number;
}

/** The info QR as PNG. Error correction M: it carries ~450 bytes and no centre mark, so M keeps it readable at 25 mm. */
export function renderInfoQr(payload: string, opts: InfoQrOptions = {}): QrImage {
  const m = qrMatrix(payload, 'M');
  const { scale, widthPx } = qrScale(m, opts.sizeMm ?? 25, opts.dpi ?? 300);
  // Black and white only: a 1-bit grey PNG (the PDF copy embeds its compressed rows as they are).
  const png = encodePng({ kind: 'gray1', width: widthPx, height: widthPx, rows: qrGrayRows(m, scale) });
  return { png, widthPx, version: m.version, modules: m.size };
}
