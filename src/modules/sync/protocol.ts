import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { bytesToHex, hexToBytes, utf8 } from '../../crypto/bytes.js';
import { Sm2PublicKey, type Sm2Signer } from '../../crypto/sm2.js';
import { sm3Hex } from '../../crypto/sm3.js';

/**
 * The sync protocol (docs/sync.md "Protocol"). Three shapes, all signed with the sender's SM2 node key (GB/T 32918,
 * default ID) over canonical bytes — never over JSON text, so key order or whitespace never matter:
 *
 * - **Envelope**: one message of a node's gap-free sequence (city → province, agency system → city). It carries the
 *   *full current state* of one object, so any message is self-sufficient and replays converge.
 *     signed: `bdcert-sync-v1 \n node \n seq \n type \n id \n event \n at \n SM3(canonical(payload))`
 * - **Signed request**: a node-to-node call (province → city file fetch, city → province reconciliation).
 *     signed: `bdcert-req-v1 \n path \n node \n at \n nonce \n SM3(canonical(payload))`
 * - **Signed response**: the answer to either (acks, comparisons), so a forged ack cannot make a city skip messages.
 *     signed: `bdcert-res-v1 \n node \n at \n SM3(canonical(payload))`; files: `bdcert-file-v1 \n node \n at \n SM3(bytes)`
 */
export const PROTOCOL_VERSION = 1;
/** Requests older or newer than this are refused (clock skew between government data centres is small). */
export const REQUEST_WINDOW_MS = 5 * 60_000;

/** Stable JSON: sorted keys, `undefined` dropped, arrays in order. The payload digest is SM3 of these bytes. */
export function canonicalJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`;
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) throw new Error('canonicalJson: non-finite number');
  return JSON.stringify(v);
}

export const digestOf = (payload: unknown): string => sm3Hex(canonicalJson(payload));

const NodeId = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, '节点标识格式错误||invalid node id');
const Seq = z.string().regex(/^[1-9]\d{0,18}$/, '序号应为正整数||seq must be a positive integer');
const Hex = z.string().regex(/^[0-9a-f]{16,400}$/, '签名应为十六进制DER||signature must be DER hex');

export const MESSAGE_TYPES = ['certificate.state', 'agency.state', 'seal.state', 'noop'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const Envelope = z
  .object({
    v: z.literal(PROTOCOL_VERSION),
    node: NodeId.meta({ description: '发送节点标识（市级节点或自建证照系统）' }),
    seq: Seq.meta({ description: '该节点的连续序号（从1开始，无间断）' }),
    type: z.enum(MESSAGE_TYPES).meta({ description: '消息类型：证照状态、登记机构、印章、空消息' }),
    id: z.string().min(1).max(200).meta({ description: '对象标识：电子证照标识、统一社会信用代码或印章编号' }),
    event: z.string().min(1).max(100).meta({ description: '触发的事件（如 certificate.seal）' }),
    at: z.iso.datetime().meta({ description: '事件时间' }),
    payloadSm3: z.string().regex(/^[0-9a-f]{64}$/),
    payload: z.record(z.string(), z.unknown()),
    signature: Hex,
  })
  .meta({ description: '同步消息信封（SM2签名，覆盖规范化字节）' });
export type Envelope = z.infer<typeof Envelope>;

function envelopeBytes(e: Omit<Envelope, 'signature' | 'payload' | 'v'>): Uint8Array {
  return utf8(['bdcert-sync-v1', e.node, e.seq, e.type, e.id, e.event, e.at, e.payloadSm3].join('\n'));
}

export async function signEnvelope(
  signer: Sm2Signer,
  m: { node: string; seq: string; type: MessageType; id: string; event: string; at: string; payload: object },
): Promise<Envelope> {
  const payloadSm3 = digestOf(m.payload);
  const signature = bytesToHex(await signer.sign(envelopeBytes({ ...m, payloadSm3 })));
  return { v: PROTOCOL_VERSION, ...m, payload: m.payload as Record<string, unknown>, payloadSm3, signature };
}

export type VerifyFailure = 'BAD_DIGEST' | 'BAD_SIGNATURE';

/** Checks the payload digest and the signature; returns the failure or undefined. */
export function verifyEnvelope(e: Envelope, key: Sm2PublicKey): VerifyFailure | undefined {
  if (digestOf(e.payload) !== e.payloadSm3) return 'BAD_DIGEST';
  return key.verify(envelopeBytes(e), hexToBytes(e.signature)) ? undefined : 'BAD_SIGNATURE';
}

// ---- signed requests and responses ----

export const SignedRequest = z.object({
  node: NodeId,
  at: z.iso.datetime(),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
  payload: z.record(z.string(), z.unknown()),
  signature: Hex,
});
export type SignedRequest = z.infer<typeof SignedRequest>;

const requestBytes = (path: string, r: Omit<SignedRequest, 'signature'>) =>
  utf8(['bdcert-req-v1', path, r.node, r.at, r.nonce, digestOf(r.payload)].join('\n'));

export async function signRequest(
  signer: Sm2Signer,
  node: string,
  path: string,
  payload: object,
  now: Date,
): Promise<SignedRequest> {
  const r = {
    node,
    at: now.toISOString(),
    nonce: randomBytes(18).toString('base64url'),
    payload: payload as Record<string, unknown>,
  };
  return { ...r, signature: bytesToHex(await signer.sign(requestBytes(path, r))) };
}

export function verifyRequest(
  path: string,
  r: SignedRequest,
  key: Sm2PublicKey,
  now: Date,
): 'STALE_REQUEST' | 'BAD_SIGNATURE' | undefined {
  const at = Date.parse(r.at);
  if (!Number.isFinite(at) || Math.abs(at - now.getTime()) > REQUEST_WINDOW_MS) return 'STALE_REQUEST';
  return key.verify(requestBytes(path, r), hexToBytes(r.signature)) ? undefined : 'BAD_SIGNATURE';
}

export const SignedResponse = z.object({
  node: NodeId,
  at: z.iso.datetime(),
  payload: z.record(z.string(), z.unknown()),
  signature: Hex,
});
export type SignedResponse = z.infer<typeof SignedResponse>;

const responseBytes = (r: Omit<SignedResponse, 'signature'>) =>
  utf8(['bdcert-res-v1', r.node, r.at, digestOf(r.payload)].join('\n'));

export async function signResponse(
  signer: Sm2Signer,
  node: string,
  payload: object,
  now: Date,
): Promise<SignedResponse> {
  const r = { node, at: now.toISOString(), payload: payload as Record<string, unknown> };
  return { ...r, signature: bytesToHex(await signer.sign(responseBytes(r))) };
}

export function verifyResponse(r: SignedResponse, key: Sm2PublicKey): boolean {
  return key.verify(responseBytes(r), hexToBytes(r.signature));
}

const fileBytes = (node: string, at: string, bodySm3: string) => utf8(['bdcert-file-v1', node, at, bodySm3].join('\n'));

export async function signFile(signer: Sm2Signer, node: string, body: Uint8Array, now: Date) {
  const at = now.toISOString();
  return { node, at, signature: bytesToHex(await signer.sign(fileBytes(node, at, sm3Hex(body)))) };
}

export function verifyFile(
  key: Sm2PublicKey,
  h: { node: string; at: string; signature: string },
  body: Uint8Array,
): boolean {
  try {
    return key.verify(fileBytes(h.node, h.at, sm3Hex(body)), hexToBytes(h.signature));
  } catch {
    return false;
  }
}

// ---- enrolment ----

/**
 * Enrolment token: `bdc1.<province node>.<32 random bytes, base64url>.<SM3(province public key) first 16 hex>`. The
 * random part is the one-time secret (the province stores only its SM3); the fingerprint lets the city check the key
 * the province answers with, so the key exchange does not depend on the transport alone.
 */
export function makeEnrolmentToken(provinceNodeId: string, provincePublicKey: Sm2PublicKey): string {
  return `bdc1.${provinceNodeId}.${randomBytes(32).toString('base64url')}.${keyFingerprint(provincePublicKey)}`;
}

export function parseEnrolmentToken(t: string): { provinceNodeId: string; fingerprint: string } | undefined {
  const m = /^bdc1\.([a-z0-9][a-z0-9-]{1,62})\.([A-Za-z0-9_-]{43})\.([0-9a-f]{16})$/.exec(t.trim());
  return m ? { provinceNodeId: m[1]!, fingerprint: m[3]! } : undefined;
}

export const keyFingerprint = (k: Sm2PublicKey): string => sm3Hex(k.toRaw()).slice(0, 16);

export const EnrolRequest = z.object({
  token: z.string().min(20).max(300).meta({ description: '省级节点签发的一次性注册令牌' }),
  nodeId: NodeId.meta({ description: '市级节点标识', example: 'city-4115' }),
  name: z.string().trim().min(1).max(100).meta({ description: '节点名称', example: '信阳市电子证照系统' }),
  regionCodes: z
    .array(z.string().regex(/^\d{2,6}$/))
    .max(50)
    .meta({ description: '所辖行政区划代码前缀', example: ['4115'] }),
  baseUrl: z
    .url()
    .meta({ description: '市级节点地址（省级节点回调下载文件）', example: 'https://dzzz.xinyang.gov.cn' }),
  publicKey: z.string().regex(/^04[0-9a-f]{128}$/, 'SM2公钥应为04开头的130位十六进制||SM2 public key: 04 + 128 hex'),
  at: z.iso.datetime(),
  signature: Hex,
});
export type EnrolRequest = z.infer<typeof EnrolRequest>;

export const enrolBytes = (r: Omit<EnrolRequest, 'signature'>) =>
  utf8(
    [
      'bdcert-enrol-v1',
      r.nodeId,
      sm3Hex(r.token),
      r.publicKey,
      r.baseUrl,
      [...r.regionCodes].sort().join(','),
      r.name,
      r.at,
    ].join('\n'),
  );

export function publicKeyOf(hex: string): Sm2PublicKey {
  return Sm2PublicKey.fromRaw(hex);
}
