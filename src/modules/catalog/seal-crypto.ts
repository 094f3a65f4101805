import type { DevCa } from '../../crypto/dev-ca.js';
import type { KeyStore } from '../../crypto/keystore.js';
import { SEAL_DIAMETER_MM, sealPng } from '../../crypto/seal-image.js';
import { makeSeal } from '../../crypto/ses.js';
import type { SealCrypto } from './service.js';

/**
 * The default SealCrypto: signing keys live in the key store (local, or a signing server through HttpKeyStore);
 * certificates come from the development CA in demo mode. A deployment with a licensed CA replaces `ca` with an
 * adapter that submits the public key and returns the issued certificate.
 */
export function createSealCrypto(keys: KeyStore, ca: DevCa, now: () => Date = () => new Date()): SealCrypto {
  return {
    async provisionSigner(subject, validTo) {
      const { keyRef, publicKey } = await keys.generate(`seal-signer:${subject.uscc}`);
      const certDer = await ca.issue(
        { commonName: subject.agencyName, organization: subject.agencyName, organizationalUnit: subject.uscc },
        publicKey,
        'signer',
        new Date(now().getTime() - 60_000),
        validTo,
      );
      return { keyRef, certDer };
    },
    makeSeal(o) {
      return makeSeal({
        esId: o.esId,
        name: o.name,
        createDate: now(),
        validFrom: o.validFrom,
        validTo: o.validTo,
        signerCertsDer: [o.signerCertDer],
        picture: { type: 'PNG', data: o.picturePng, widthMm: SEAL_DIAMETER_MM, heightMm: SEAL_DIAMETER_MM },
        maker: ca.maker,
      });
    },
    signer: (keyRef) => keys.signer(keyRef),
    async sealPicture(agencyName) {
      return sealPng(agencyName);
    },
    trustedRoots: () => [ca.rootCertDer],
  };
}
