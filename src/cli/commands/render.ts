import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DevCa } from '../../crypto/dev-ca.js';
import { LocalKeyStore } from '../../crypto/keystore.js';
import { makeSeal } from '../../crypto/ses.js';
import { Sm2PrivateKey } from '../../crypto/sm2.js';
import { certificateToPem } from '../../crypto/x509.js';
import { encodeInfoQr } from '../../documents/qr/info.js';
import { mintVerificationToken, verificationUrl } from '../../documents/qr/query.js';
import { renderCertificate } from '../../documents/render.js';
import { SEAL_DIAMETER_MM, sealPng } from '../../documents/seal-image.js';
import { typeCodeOf } from '../../domain/catalog.js';
import { type FaceData, validateFace } from '../../domain/face-data.js';
import { fromChineseRecord, kindFromName } from '../../domain/field-names.js';
import { makeIdentifier } from '../../domain/identifier.js';

/**
 * `bdcert render --face <file.json> --out <dir>` — a sealed OFD and its PDF from face data with a demo seal made on
 * the fly (development CA; the files say so), so integrators can see their data on a certificate. The JSON may be
 * keyed by our field names (with `kind`) or by the 附件2 Chinese item names (with 证照类型). Items bdcert normally
 * generates (证号, 电子证照标识, QR codes) are filled with demo values when absent.
 */
export function register(program: Command): void {
  program
    .command('render')
    .description('用演示印章生成证照 / render a sealed OFD and a PDF from face data with a demo seal')
    .requiredOption('--face <file>', '照面信息JSON（字段名或附件2中文信息项名）')
    .requiredOption('--out <dir>', '输出目录')
    .option('--base-url <url>', '查询二维码的核验地址前缀', 'https://bdc.example.gov.cn')
    .action(async (o: { face: string; out: string; baseUrl: string }) => {
      const raw = JSON.parse(readFileSync(o.face, 'utf8')) as Record<string, unknown>;
      const kind = kindFromName(String(raw.证照类型 ?? raw.kind ?? ''));
      if (!kind) {
        console.error('缺少或无法识别证照类型（证照类型：不动产权证书 | 不动产登记证明）/ missing or unknown kind');
        process.exit(1);
      }
      const record = Object.keys(raw).some((k) => /[\u4e00-\u9fa5]/.test(k))
        ? fromChineseRecord(kind, raw).record
        : { ...raw, kind };
      const now = new Date();
      const input = validateFace(record, { stage: 'input' });
      if (!input.ok) return fail(input.problems);
      const face = input.value as FaceData & Record<string, unknown>;
      const serial = `DEMO${now.getTime().toString(36).toUpperCase()}`;
      const identifier =
        (face.identifier as string | undefined) ??
        makeIdentifier({ typeCode: typeCodeOf(kind), issuerCode: face.agencyCode, serial, version: 1 });
      const number = (kind === 'property-certificate' ? face.certificateNo : face.proofNo) as string | undefined;
      const demoNo =
        number ??
        `豫(${face.registeredOn.slice(0, 4)})演示${kind === 'property-certificate' ? '不动产权' : '不动产证明'}第0000001号`;
      const nodeKey = Sm2PrivateKey.generate();
      const infoQr =
        (face.infoQr as string | undefined) ??
        (await encodeInfoQr(
          {
            kind: kind === 'property-certificate' ? 'certificate' : 'proof',
            identifier,
            number: demoNo,
            unitNumber: face.unitNo,
            holder: face.holders.map((h) => h.name).join('、'),
            issueDate: face.registeredOn,
            issuerCode: face.agencyCode,
          },
          nodeKey.asSigner(),
        ));
      const complete = {
        ...face,
        identifier,
        ...(kind === 'property-certificate' ? { certificateNo: demoNo } : { proofNo: demoNo }),
        infoQr,
        queryQr: (face.queryQr as string | undefined) ?? verificationUrl(o.baseUrl, mintVerificationToken()),
      };
      const checked = validateFace(complete);
      if (!checked.ok) return fail(checked.problems);
      const keys = new LocalKeyStore(join(mkdtempSync(join(tmpdir(), 'bdcert-render-')), 'keys'), nodeKey.toRaw());
      const { ca } = await DevCa.create(keys, now);
      const signer = Sm2PrivateKey.generate();
      const until = new Date(now.getTime() + 365 * 86400_000);
      const cert = await ca.issue(
        { commonName: `${face.agencyName}（演示）` },
        signer.publicKey,
        'signer',
        new Date(now.getTime() - 60_000),
        until,
      );
      const picturePng = sealPng(face.agencyName);
      const sealDer = await makeSeal({
        esId: 'DEMO0000000001',
        name: `${face.agencyName}不动产登记专用章`,
        validFrom: new Date(now.getTime() - 60_000),
        validTo: until,
        signerCertsDer: [cert],
        picture: { type: 'PNG', data: picturePng, widthMm: SEAL_DIAMETER_MM, heightMm: SEAL_DIAMETER_MM },
        maker: ca.maker,
      });
      const r = await renderCertificate({
        face: checked.value,
        seal: { sealDer, signerCertDer: cert, signer: signer.asSigner(), picturePng },
        time: now,
        docId: identifier.replace(/[^0-9A-Z]/g, '').slice(-32),
        meta: {
          ZZBS: identifier,
          ZZBH: demoNo,
          ZZBFJG: face.agencyName,
          ZZBFJGDM: face.agencyCode,
          ZZBFRQ: face.registeredOn,
          DEMO: '演示印章，非正式证照 / demo seal, not a real certificate',
        },
      });
      mkdirSync(o.out, { recursive: true });
      const base = join(o.out, identifier);
      writeFileSync(`${base}.ofd`, r.ofd);
      writeFileSync(`${base}.pdf`, r.pdf);
      writeFileSync(join(o.out, 'demo-root-ca.pem'), certificateToPem(ca.rootCertDer));
      console.log(
        JSON.stringify(
          {
            ofd: `${base}.ofd`,
            pdf: `${base}.pdf`,
            pages: r.pages,
            trustedRoot: join(o.out, 'demo-root-ca.pem'),
            warnings: checked.problems,
          },
          null,
          2,
        ),
      );
    });
}

function fail(
  problems: readonly { field?: string; code: string; message: string; messageEn: string; severity: string }[],
): never {
  for (const p of problems)
    console.error(
      `${p.severity === 'error' ? '错误 error' : '警告 warning'}  ${p.field ?? '-'}  ${p.code}  ${p.message} / ${p.messageEn}`,
    );
  process.exit(1);
}
