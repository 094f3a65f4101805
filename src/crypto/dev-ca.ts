import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { KeyStore } from './keystore.js';
import type { Sm2PublicKey, Sm2Signer } from './sm2.js';
import { type CertUsage, issueCertificate, type SubjectInfo } from './x509.js';

/**
 * A local development CA for demo and tests (issue 4 §2): a self-signed SM2 root, a seal-maker certificate (制章者)
 * and signer certificates (签章者) for agencies. Its names say 开发测试 / development so nobody mistakes a demo
 * certificate for a real one. Production imports certificates issued by a licensed CA instead.
 */
export interface CaFile {
  rootCertDer: string; // base64
  rootKeyRef: string;
  makerCertDer: string;
  makerKeyRef: string;
}

const CaFileSchema = z.object({
  rootCertDer: z.string(),
  rootKeyRef: z.string(),
  makerCertDer: z.string(),
  makerKeyRef: z.string(),
});

const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

export class DevCa {
  private constructor(
    readonly rootCertDer: Uint8Array,
    private readonly rootSigner: Sm2Signer,
    readonly makerCertDer: Uint8Array,
    readonly makerSigner: Sm2Signer,
  ) {}

  static async create(keys: KeyStore, now: Date = new Date()): Promise<{ ca: DevCa; file: CaFile }> {
    const root = await keys.generate('dev-ca-root');
    const rootSigner = await keys.signer(root.keyRef);
    const notAfter = new Date(now.getTime() + 20 * 365.25 * 86400_000);
    const rootCertDer = await issueCertificate({
      subject: { commonName: 'bdcert 开发测试根CA（非生产）/ development root CA', organization: 'bdcert' },
      subjectKey: root.publicKey,
      usage: 'ca',
      notBefore: new Date(now.getTime() - 86400_000),
      notAfter,
      issuerSigner: rootSigner,
    });
    const maker = await keys.generate('dev-seal-maker');
    const makerCertDer = await issueCertificate({
      subject: { commonName: 'bdcert 开发测试制章者（非生产）/ development seal maker', organization: 'bdcert' },
      subjectKey: maker.publicKey,
      usage: 'seal-maker',
      notBefore: new Date(now.getTime() - 86400_000),
      notAfter,
      issuerCertDer: rootCertDer,
      issuerSigner: rootSigner,
    });
    const ca = new DevCa(rootCertDer, rootSigner, makerCertDer, await keys.signer(maker.keyRef));
    return {
      ca,
      file: {
        rootCertDer: b64(rootCertDer),
        rootKeyRef: root.keyRef,
        makerCertDer: b64(makerCertDer),
        makerKeyRef: maker.keyRef,
      },
    };
  }

  static async load(keys: KeyStore, file: CaFile): Promise<DevCa> {
    return new DevCa(
      unb64(file.rootCertDer),
      await keys.signer(file.rootKeyRef),
      unb64(file.makerCertDer),
      await keys.signer(file.makerKeyRef),
    );
  }

  /** Loads the CA kept at `path`, creating it on first use. */
  static async loadOrCreate(keys: KeyStore, path: string, now: Date = new Date()): Promise<DevCa> {
    try {
      return await DevCa.load(keys, CaFileSchema.parse(JSON.parse(await readFile(path, 'utf8'))));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const { ca, file } = await DevCa.create(keys, now);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    return ca;
  }

  get maker(): { certDer: Uint8Array; signer: Sm2Signer } {
    return { certDer: this.makerCertDer, signer: this.makerSigner };
  }

  issue(
    subject: SubjectInfo,
    key: Sm2PublicKey,
    usage: CertUsage,
    notBefore: Date,
    notAfter: Date,
  ): Promise<Uint8Array> {
    return issueCertificate({
      subject,
      subjectKey: key,
      usage,
      notBefore,
      notAfter,
      issuerCertDer: this.rootCertDer,
      issuerSigner: this.rootSigner,
    });
  }
}
