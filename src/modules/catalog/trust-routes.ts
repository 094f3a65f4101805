import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { csrToPem } from '../../crypto/csr.js';
import { certificateToPem } from '../../crypto/x509.js';
import { notFoundError, requireStaff, staffPrincipal } from '../../http/auth.js';
import { ApiError } from '../../http/errors.js';
import { EX, errors } from '../../http/openapi.js';
import type { App } from '../../http/server.js';
import { actorOf } from '../audit/audit.js';
import { certifyCredential, importCredential, requestCredential } from './credentials.js';
import { Seal, sealOut } from './routes.js';
import { type CatalogDeps, getAgency, importSeal } from './service.js';
import * as trustRepo from './trust-repository.js';

/**
 * Admin routes of production sealing (docs/crypto.md "Production setup"): the trust store (province admins — the
 * 自然资源厅 manages seals province-wide, Sichuan Art. 9), an agency's signer and seal-maker credentials (CSR →
 * licensed CA → import), and the import of a seal made by the provincial seal platform (Sichuan Art. 3). HTTP only
 * parses and authorises; the rules live in trust-store.ts, credentials.ts and service.ts.
 */
const tags = ['catalog'];
const NO_AGENCY = '00000000-0000-0000-0000-000000000000';

// Examples: a CA a province would trust and the sample agency's signer credential (PEM and DER shortened).
const EX_CA_SUBJECT = 'CN=示例电子认证服务机构SM2根CA,O=示例电子认证服务机构,C=CN';
const EX_CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2…\n-----END CERTIFICATE-----\n';
const EX_TRUST = {
  id: '3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d',
  fingerprint: EX.sm3,
  kind: 'root',
  subject: EX_CA_SUBJECT,
  issuer: EX_CA_SUBJECT,
  serialHex: '43d2a1f07e5b9c11',
  notBefore: '2024-01-01T00:00:00.000Z',
  notAfter: '2044-01-01T00:00:00.000Z',
  origin: 'import',
  status: 'active',
  statusReason: null,
  note: '省自然资源厅指定的电子认证服务机构根证书',
  pem: EX_CA_PEM,
};
const EX_CREDENTIAL = {
  id: '4b5c6d7e-8f9a-4b1c-8d2e-3f4a5b6c7d8e',
  agencyId: EX.agencyId,
  purpose: 'signer',
  status: 'active',
  keyRef: 'hsm-slot2-hc-signer-2026',
  subject: `CN=${EX.agencyName}电子证照签章,O=${EX.agencyName},C=CN`,
  issuer: EX_CA_SUBJECT,
  serialHex: '7f01c2d3e4a5b697',
  fingerprint: EX.sm3b,
  notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2029-01-01T00:00:00.000Z',
  csrPem: null,
};
const EX_CERT_PEM = '-----BEGIN CERTIFICATE-----\nMIICJzCCAc2gAwIBAgIIfwHC…\n-----END CERTIFICATE-----\n';

const TrustCert = z
  .object({
    id: z.uuid(),
    fingerprint: z.string().meta({ description: 'SM3 指纹（DER）' }),
    kind: z.enum(['root', 'intermediate']).meta({ description: 'root 根证书 · intermediate 中间证书' }),
    subject: z.string(),
    issuer: z.string(),
    serialHex: z.string(),
    notBefore: z.iso.datetime(),
    notAfter: z.iso.datetime(),
    origin: z.enum(['import', 'dev-ca']).meta({ description: 'import 导入 · dev-ca 演示开发CA' }),
    status: z.enum(['active', 'removed']),
    statusReason: z.string().nullable(),
    note: z.string().nullable(),
    pem: z.string(),
  })
  .meta({ example: EX_TRUST });

const Credential = z
  .object({
    id: z.uuid(),
    agencyId: z.uuid().nullable().meta({ description: '空：平台制章者证书' }),
    purpose: z.enum(['signer', 'seal-maker']).meta({ description: 'signer 签章人证书 · seal-maker 制章者证书' }),
    status: z
      .enum(['awaiting-certificate', 'active', 'retired'])
      .meta({ description: 'awaiting-certificate 待导入证书 · active 有效 · retired 停用' }),
    keyRef: z.string().meta({ description: '密钥库/签章服务器中的密钥引用（私钥不离开密钥库）' }),
    subject: z.string(),
    issuer: z.string().nullable(),
    serialHex: z.string().nullable(),
    fingerprint: z.string().nullable(),
    notBefore: z.iso.datetime().nullable(),
    notAfter: z.iso.datetime().nullable(),
    csrPem: z.string().nullable().meta({ description: 'PKCS#10 证书请求（SM3withSM2），交持牌CA签发' }),
  })
  .meta({ example: EX_CREDENTIAL });

const trustOut = (t: trustRepo.TrustRow) => ({
  id: t.id,
  fingerprint: t.fingerprint,
  kind: t.kind,
  subject: t.subject,
  issuer: t.issuer,
  serialHex: t.serial_hex,
  notBefore: t.not_before.toISOString(),
  notAfter: t.not_after.toISOString(),
  origin: t.origin,
  status: t.status,
  statusReason: t.status_reason,
  note: t.note,
  pem: certificateToPem(t.cert_der),
});

const credentialOut = (c: trustRepo.CredentialRow) => ({
  id: c.id,
  agencyId: c.agency_id,
  purpose: c.purpose,
  status: c.status,
  keyRef: c.key_ref,
  subject: c.subject,
  issuer: c.issuer,
  serialHex: c.serial_hex,
  fingerprint: c.fingerprint,
  notBefore: c.not_before?.toISOString() ?? null,
  notAfter: c.not_after?.toISOString() ?? null,
  csrPem: c.status === 'awaiting-certificate' && c.csr_der ? csrToPem(c.csr_der) : null,
});

/** A certificate in the body: PEM text or base64 DER, exactly one. */
const CertBody = {
  pem: z.string().max(200_000).optional().meta({ description: 'PEM（可含多个证书）' }),
  derBase64: z.string().max(200_000).optional().meta({ description: 'DER 的 base64' }),
};
function certificateInput(b: { pem?: string | undefined; derBase64?: string | undefined }): Uint8Array | string {
  if (!!b.pem === !!b.derBase64)
    throw new ApiError(
      'VALIDATION_FAILED',
      '请提供 pem 或 derBase64 之一',
      'Give exactly one of pem, derBase64',
      'pem',
    );
  return b.pem ?? new Uint8Array(Buffer.from(b.derBase64!, 'base64'));
}

const AgencyParams = z.object({ agencyId: z.uuid() });

export function trustRoutes(deps: CatalogDeps, auth: (app: App) => void): (app: App) => void {
  return (app) => {
    auth(app);
    const r = app.withTypeProvider<ZodTypeProvider>();
    const agencyAdmin = requireStaff('agency-admin', (req) => (req.params as { agencyId: string }).agencyId);
    // A credential belongs to its agency's admins; a platform-wide one (seal maker) to province admins only.
    const credentialAdmin = async (req: FastifyRequest, reply: FastifyReply) => {
      const c = await trustRepo.findCredential(
        deps.ctx.store.db,
        (req.params as { credentialId: string }).credentialId,
      );
      if (c && c.agency_id === null) await requireStaff('province-admin')(req, reply);
      else await requireStaff('agency-admin', () => c?.agency_id ?? NO_AGENCY)(req, reply);
      if (!c) throw notFoundError();
    };

    r.get(
      '/api/v1/trust/certificates',
      {
        schema: {
          tags,
          summary: '信任库：受信任的CA证书 / trust store: trusted CA certificates',
          querystring: z.object({ includeRemoved: z.enum(['true', 'false']).optional() }),
          response: {
            200: z.object({ items: z.array(TrustCert) }).meta({ example: { items: [EX_TRUST] } }),
            ...errors(400, 401, 403),
          },
        },
        preHandler: requireStaff(['province-admin', 'agency-admin', 'auditor']),
      },
      async (req) => ({
        items: (await deps.trust.list({ includeRemoved: req.query.includeRemoved === 'true' })).map(trustOut),
      }),
    );

    r.post(
      '/api/v1/trust/certificates',
      {
        schema: {
          tags,
          summary: '导入受信任的CA证书（根证书或中间证书，验证证书链与密钥用法）/ import trusted CA certificates',
          body: z
            .object({ ...CertBody, note: z.string().max(500).optional() })
            .meta({ example: { pem: EX_CA_PEM, note: '省自然资源厅指定的电子认证服务机构根证书' } }),
          response: {
            201: z
              .object({
                items: z.array(
                  z.object({
                    id: z.uuid(),
                    fingerprint: z.string(),
                    kind: z.enum(['root', 'intermediate']),
                    subject: z.string(),
                    notAfter: z.iso.datetime(),
                    outcome: z.enum(['added', 'unchanged', 'reactivated']),
                  }),
                ),
              })
              .meta({
                example: {
                  items: [
                    {
                      id: EX_TRUST.id,
                      fingerprint: EX_TRUST.fingerprint,
                      kind: 'root',
                      subject: EX_CA_SUBJECT,
                      notAfter: EX_TRUST.notAfter,
                      outcome: 'added',
                    },
                  ],
                },
              }),
            ...errors(400, 401, 403),
          },
        },
        preHandler: requireStaff('province-admin'),
      },
      async (req, reply) => {
        const results = await deps.trust.importCertificates(certificateInput(req.body), {
          actor: actorOf(staffPrincipal(req)),
          ...(req.body.note ? { note: req.body.note } : {}),
        });
        return reply.status(201).send({ items: results.map((x) => ({ ...x, notAfter: x.notAfter.toISOString() })) });
      },
    );

    r.post(
      '/api/v1/trust/certificates/:id/remove',
      {
        schema: {
          tags,
          summary: '移出信任库（记录原因）/ stop trusting a CA certificate',
          params: z.object({ id: z.uuid() }),
          body: z
            .object({ reason: z.string().min(1).max(500) })
            .meta({ example: { reason: '该CA已不再为本省提供电子认证服务' } }),
          response: {
            200: TrustCert.meta({
              example: { ...EX_TRUST, status: 'removed', statusReason: '该CA已不再为本省提供电子认证服务' },
            }),
            ...errors(400, 401, 403, 404),
          },
        },
        preHandler: requireStaff('province-admin'),
      },
      async (req) => trustOut(await deps.trust.remove(req.params.id, req.body.reason, actorOf(staffPrincipal(req)))),
    );

    r.get(
      '/api/v1/agencies/:agencyId/credentials',
      {
        schema: {
          tags,
          summary: '机构的签章人证书与制章者证书 / an agency’s signer and seal-maker certificates',
          params: AgencyParams,
          response: {
            200: z.object({ items: z.array(Credential) }).meta({ example: { items: [EX_CREDENTIAL] } }),
            ...errors(400, 401, 403, 404),
          },
        },
        preHandler: requireStaff(['agency-admin', 'auditor'], (req) => (req.params as { agencyId: string }).agencyId),
      },
      async (req) => ({
        items: (
          await trustRepo.listCredentials(deps.ctx.store.db, { agencyId: req.params.agencyId, includePlatform: true })
        ).map(credentialOut),
      }),
    );

    r.post(
      '/api/v1/agencies/:agencyId/credentials/requests',
      {
        schema: {
          tags,
          summary:
            '生成密钥对与证书请求（PKCS#10，SM3withSM2），交持牌CA签发 / make a key pair and a CSR for the licensed CA',
          params: AgencyParams,
          body: z
            .object({
              purpose: z.enum(['signer', 'seal-maker']).default('signer'),
              commonName: z.string().min(1).max(200).optional(),
            })
            .meta({ example: { purpose: 'signer', commonName: `${EX.agencyName}电子证照签章` } }),
          response: {
            201: Credential.meta({
              example: {
                ...EX_CREDENTIAL,
                status: 'awaiting-certificate',
                keyRef: 'hc-signer-2026-11',
                issuer: null,
                serialHex: null,
                fingerprint: null,
                notBefore: null,
                notAfter: null,
                csrPem:
                  '-----BEGIN CERTIFICATE REQUEST-----\nMIIBNjCB3QIBADB7MQswCQYDVQQG…\n-----END CERTIFICATE REQUEST-----\n',
              },
            }),
            ...errors(400, 401, 403, 404),
          },
        },
        preHandler: agencyAdmin,
      },
      async (req, reply) => {
        await getAgency(deps.ctx, req.params.agencyId);
        const { credential } = await requestCredential(deps, {
          agencyId: req.params.agencyId,
          purpose: req.body.purpose,
          ...(req.body.commonName ? { subject: { commonName: req.body.commonName } } : {}),
          actor: actorOf(staffPrincipal(req)),
        });
        return reply.status(201).send(credentialOut(credential));
      },
    );

    r.post(
      '/api/v1/credentials/:credentialId/certificate',
      {
        schema: {
          tags,
          summary: '导入CA签发的证书（须与请求的密钥一致、链接到信任库）/ import the certificate the CA issued',
          params: z.object({ credentialId: z.uuid() }),
          body: z.object(CertBody).meta({ example: { pem: EX_CERT_PEM } }),
          response: { 200: Credential, ...errors(400, 401, 403, 404) },
        },
        preHandler: credentialAdmin,
      },
      async (req) =>
        credentialOut(
          await certifyCredential(
            deps,
            req.params.credentialId,
            certificateInput(req.body),
            actorOf(staffPrincipal(req)),
          ),
        ),
    );

    r.post(
      '/api/v1/agencies/:agencyId/credentials',
      {
        schema: {
          tags,
          summary:
            '导入证书及其在签章服务器中的密钥引用 / import a certificate whose key is already in the signing server',
          params: AgencyParams,
          body: z
            .object({
              purpose: z.enum(['signer', 'seal-maker']),
              keyRef: z.string().regex(/^[A-Za-z0-9_-]{8,80}$/, '密钥引用格式错误||invalid key reference'),
              ...CertBody,
            })
            .meta({ example: { purpose: 'signer', keyRef: EX_CREDENTIAL.keyRef, pem: EX_CERT_PEM } }),
          response: { 201: Credential, ...errors(400, 401, 403, 404) },
        },
        preHandler: agencyAdmin,
      },
      async (req, reply) => {
        const c = await importCredential(deps, {
          agencyId: req.params.agencyId,
          purpose: req.body.purpose,
          keyRef: req.body.keyRef,
          certificate: certificateInput(req.body),
          actor: actorOf(staffPrincipal(req)),
        });
        return reply.status(201).send(credentialOut(c));
      },
    );

    r.post(
      '/api/v1/agencies/:agencyId/seals/import',
      {
        schema: {
          tags,
          summary:
            '导入省级电子印章平台制作的印章（SESeal，验证制章签名、证书链、名称与编码）/ import a seal from the provincial platform',
          params: AgencyParams,
          body: z
            .object({
              sealBase64: z.string().min(8).max(2_000_000).meta({ description: '印章文件（.esl，DER）的 base64' }),
              esId: z.string().min(1).max(64).meta({ description: '实物印章编码（须与印章文件一致）' }),
              signerCredentialId: z.uuid().optional(),
              replacesId: z.uuid().optional().meta({ description: '续期或更换的原印章' }),
              filingNo: z.string().min(1).max(100).optional().meta({ description: '已备案时的国家印章备案号' }),
              reason: z.string().min(1).max(500).optional(),
            })
            .meta({
              example: {
                sealBase64: 'MIIGdzCCBh6gAwIBAgIQ…',
                esId: EX.esId,
                replacesId: EX.sealId,
                reason: '省级电子印章平台重新制作，替换到期印章',
              },
            }),
          response: {
            201: z.object({ seal: Seal, warnings: z.array(z.string()) }).meta({
              example: {
                seal: {
                  id: 'd1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a',
                  agencyId: EX.agencyId,
                  esId: EX.esId,
                  name: EX.sealName,
                  status: 'active',
                  validFrom: '2026-11-20T00:00:00.000Z',
                  validTo: '2029-11-20T00:00:00.000Z',
                  replacesId: EX.sealId,
                  filingNo: null,
                  filedAt: null,
                  statusReason: null,
                  imageUrl: '/api/v1/seals/d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a/image.png',
                },
                warnings: ['印章尚未在国家印章备案系统备案 / the seal is not filed with the national registry yet'],
              },
            }),
            ...errors(400, 401, 403, 404),
          },
        },
        preHandler: agencyAdmin,
      },
      async (req, reply) => {
        const b = req.body;
        const r2 = await importSeal(deps, {
          agencyId: req.params.agencyId,
          sealDer: new Uint8Array(Buffer.from(b.sealBase64, 'base64')),
          esId: b.esId,
          ...(b.signerCredentialId ? { signerCredentialId: b.signerCredentialId } : {}),
          ...(b.replacesId ? { replacesId: b.replacesId } : {}),
          ...(b.filingNo ? { filingNo: b.filingNo } : {}),
          ...(b.reason ? { reason: b.reason } : {}),
          actor: actorOf(staffPrincipal(req)),
        });
        return reply.status(201).send({ seal: sealOut(r2.seal), warnings: r2.warnings });
      },
    );
  };
}
