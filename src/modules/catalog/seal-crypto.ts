import type { Kysely } from 'kysely';
import type { DevCa } from '../../crypto/dev-ca.js';
import type { KeyStore } from '../../crypto/keystore.js';
import { makeSeal } from '../../crypto/ses.js';
import { SEAL_DIAMETER_MM, sealPng } from '../../documents/seal-image.js';
import { DomainError } from '../../domain/problem.js';
import type { Database } from '../../store/schema.js';
import { activeCredential } from './credentials.js';
import type { SealCrypto } from './service.js';
import type { TrustStore } from './trust-store.js';

export interface SealCryptoOptions {
  readonly db: Kysely<Database>;
  /** Signing keys: the local encrypted store, or a signing server through HttpKeyStore. */
  readonly keys: KeyStore;
  readonly trust: TrustStore;
  /**
   * Demo mode only: the development CA issues a signer certificate and makes the seal when the agency has no
   * imported credential. Absent in production, where both come from outside (a licensed CA; the provincial seal
   * platform, Sichuan Art. 3).
   */
  readonly devCa?: DevCa;
  readonly now?: () => Date;
}

/**
 * The one SealCrypto of both modes. Imported credentials (signing_credentials, see credentials.ts) are used first;
 * the development CA is the demo's fallback; production without a credential refuses with what to import. Verifiers
 * trust exactly the trust store — in demo it holds the development root too, so there is one verification path.
 */
export function createSealCrypto(o: SealCryptoOptions): SealCrypto {
  const now = o.now ?? (() => new Date());
  return {
    async provisionSigner(subject, validTo, opts = {}) {
      const cred = await activeCredential(o.db, {
        agencyId: subject.agencyId,
        purpose: 'signer',
        at: now(),
        ...(opts.credentialId ? { credentialId: opts.credentialId } : {}),
      });
      if (cred) {
        // GB/T 38540 §7.2 step 6: every signature needs the signer certificate valid at signing time, so a seal
        // that outlives its certificate would seal files that no longer verify.
        if (cred.not_after < validTo)
          throw new DomainError(
            'SEAL_OUTLIVES_CERTIFICATE',
            `印章有效期不得晚于签章人证书有效期（${cred.not_after.toISOString().slice(0, 10)}）`,
            `The seal may not outlive the signer certificate (valid to ${cred.not_after.toISOString()})`,
            'validTo',
          );
        return { keyRef: cred.key_ref, certDer: cred.cert_der };
      }
      if (!o.devCa)
        throw new DomainError(
          'NO_SIGNER_CERTIFICATE',
          '该登记机构尚未导入签章人证书：请生成证书请求（bdcert credentials request），经持牌CA签发后导入（bdcert credentials certify）',
          'The agency has no signer certificate: make a request (bdcert credentials request), have a licensed CA issue it, then import it (bdcert credentials certify)',
          'agencyId',
        );
      const { keyRef, publicKey } = await o.keys.generate(`seal-signer:${subject.uscc}`);
      const certDer = await o.devCa.issue(
        { commonName: subject.agencyName, organization: subject.agencyName, organizationalUnit: subject.uscc },
        publicKey,
        'signer',
        new Date(now().getTime() - 60_000),
        validTo,
      );
      return { keyRef, certDer };
    },
    async makeSeal(s) {
      const cred = await activeCredential(o.db, {
        agencyId: s.agencyId,
        purpose: 'seal-maker',
        at: now(),
        ...(s.makerCredentialId ? { credentialId: s.makerCredentialId } : {}),
      });
      const maker = cred ? { certDer: cred.cert_der, signer: await o.keys.signer(cred.key_ref) } : o.devCa?.maker;
      if (!maker)
        throw new DomainError(
          'NO_SEAL_MAKER',
          '未导入制章者证书：请导入省级电子印章平台制作的印章（bdcert seals import），或导入制章者证书后在本地制章',
          'No seal-maker certificate: import the seal made by the provincial seal platform (bdcert seals import), or import a seal-maker certificate to make seals here',
          'makerCredentialId',
        );
      return makeSeal({
        esId: s.esId,
        name: s.name,
        createDate: now(),
        validFrom: s.validFrom,
        validTo: s.validTo,
        signerCertsDer: [s.signerCertDer],
        picture: { type: 'PNG', data: s.picturePng, widthMm: SEAL_DIAMETER_MM, heightMm: SEAL_DIAMETER_MM },
        maker,
      });
    },
    signer: (keyRef) => o.keys.signer(keyRef),
    async sealPicture(agencyName) {
      return sealPng(agencyName);
    },
    trustedRoots: () => o.trust.anchors(),
  };
}
