import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DevCa } from '../../src/crypto/dev-ca.js';
import { LocalKeyStore } from '../../src/crypto/keystore.js';
import { makeSeal } from '../../src/crypto/ses.js';
import { Sm2PrivateKey } from '../../src/crypto/sm2.js';
import type { SealMaterial } from '../../src/documents/render.js';
import { sealPng } from '../../src/documents/seal-image.js';

export const T0 = new Date('2026-11-20T02:00:00Z');
const YEAR = 365 * 86400_000;

/** A development CA and an agency seal valid from `from` to `to`. */
export async function testSeal(
  opts: { from?: Date; to?: Date } = {},
): Promise<{ seal: SealMaterial; roots: Uint8Array[]; esId: string; key: Sm2PrivateKey }> {
  const keys = new LocalKeyStore(
    join(mkdtempSync(join(tmpdir(), 'bdcert-doc-keys-')), 'k'),
    new Uint8Array(32).fill(3),
  );
  const { ca } = await DevCa.create(keys, new Date(T0.getTime() - YEAR));
  const signer = Sm2PrivateKey.generate();
  const from = opts.from ?? new Date(T0.getTime() - 86400_000);
  const to = opts.to ?? new Date(T0.getTime() + 2 * YEAR);
  const cert = await ca.issue(
    { commonName: '潢川县自然资源局' },
    signer.publicKey,
    'signer',
    new Date(T0.getTime() - YEAR),
    new Date(T0.getTime() + 3 * YEAR),
  );
  const picturePng = sealPng('潢川县自然资源局');
  const sealDer = await makeSeal({
    esId: '4115260000001',
    name: '潢川县自然资源局不动产登记专用章',
    createDate: from,
    validFrom: from,
    validTo: to,
    signerCertsDer: [cert],
    picture: { type: 'PNG', data: picturePng, widthMm: 42, heightMm: 42 },
    maker: ca.maker,
  });
  return {
    seal: { sealDer, signerCertDer: cert, signer: signer.asSigner(), picturePng },
    roots: [ca.rootCertDer],
    esId: '4115260000001',
    key: signer,
  };
}
