import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { Sm2PrivateKey } from '../../src/crypto/sm2.js';
import { sm3Hex } from '../../src/crypto/sm3.js';
import { renderCertificate } from '../../src/documents/render.js';
import { PROPERTY_CERTIFICATE_TYPE_CODE } from '../../src/domain/catalog.js';
import { formatCertificateNumber } from '../../src/domain/certificate-number.js';
import type { PropertyCertificateFace } from '../../src/domain/face-data.js';
import { faceToItems } from '../../src/domain/face-items.js';
import { makeIdentifier } from '../../src/domain/identifier.js';
import type { AgencyRow } from '../../src/modules/catalog/repository.js';
import { activeSeal } from '../../src/modules/catalog/service.js';
import { signEnvelope } from '../../src/modules/sync/protocol.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P } from '../fixtures/domain/samples.js';
import { TEST_BACKEND } from '../support/store.js';
import { bearer, type SyncNode, syncNode, until } from './support.js';

/**
 * Henan 三(二)2: an agency with its own certificate system generates and seals the file (with the seal the city's
 * e-seal system issued it) and pushes file, catalog and face data to the city with the envelope protocol.
 */
describe(`self-built agency systems push sealed certificates to the city [${TEST_BACKEND}]`, () => {
  let city: SyncNode;
  let agency: AgencyRow;
  let other: AgencyRow;
  let systemId = '';
  let seq = 0;
  const key = Sm2PrivateKey.generate();

  /** What the agency's own system does: number, identifier, face data, and a file sealed by the agency's seal. */
  const make = async (
    serial: number,
    o: { issuer?: AgencyRow; sealOf?: AgencyRow; metaNo?: string; face?: Partial<PropertyCertificateFace> } = {},
  ) => {
    const issuer = o.issuer ?? agency;
    const certificateNo = formatCertificateNumber({
      provinceAbbr: '豫',
      year: 2026,
      cityCounty: '潢川县',
      kind: 'property-certificate',
      serial,
    });
    const identifier = makeIdentifier({
      typeCode: PROPERTY_CERTIFICATE_TYPE_CODE,
      issuerCode: issuer.uscc,
      serial: `2026${String(serial).padStart(7, '0')}`,
      version: 1,
    });
    const { coOwners: _c, ...rest } = P;
    const face: PropertyCertificateFace = {
      ...rest,
      certificateNo,
      identifier,
      agencyCode: agency.uscc,
      agencyName: agency.name,
      coOwnership: '单独所有',
      unitNo: `411526001002GB${String(serial % 100000).padStart(5, '0')}F00010203`,
      queryQr: 'https://bdc.hcx.example.gov.cn/v/own-system',
      ...o.face,
    };
    const now = city.services.ctx.now();
    const seal = await activeSeal(city.services.catalog, (o.sealOf ?? agency).id, now);
    const r = await renderCertificate({
      face,
      seal,
      time: now,
      docId: `AS${serial}`,
      meta: {
        ZZMC: '中华人民共和国不动产权证书',
        ZZBH: o.metaNo ?? certificateNo,
        ZZBS: identifier,
        ZZBFJG: agency.name,
        ZZBFJGDM: agency.uscc,
        ZZBFRQ: face.registeredOn,
        CZZT: face.holders.map((h) => h.name).join('、'),
        CZZTDM: face.holders.map((h) => h.idNumber).join('、'),
        ZZQZMC: seal.name,
      },
    });
    return { identifier, certificateNo, face, ofd: r.ofd };
  };

  const push = async (
    doc: { identifier: string; certificateNo: string; face: Record<string, unknown>; ofd?: Uint8Array },
    extra: Record<string, unknown> = {},
    s = String(++seq),
  ) => {
    const payload = {
      identifier: doc.identifier,
      kind: 'property-certificate',
      certificateNo: doc.certificateNo,
      face: faceToItems('property-certificate', doc.face),
      ...(doc.ofd ? { ofd: Buffer.from(doc.ofd).toString('base64'), ofdSm3: sm3Hex(doc.ofd) } : {}),
      ...extra,
    };
    const m = await signEnvelope(key.asSigner(), {
      node: systemId,
      seq: s,
      type: 'certificate.state',
      id: doc.identifier,
      event: 'certificate.sealed',
      at: new Date().toISOString(),
      payload,
    });
    const r = await city.app.inject({
      method: 'POST',
      url: '/api/v1/sync/agency/push',
      payload: { node: systemId, messages: [m] },
    });
    assert.equal(r.statusCode, 200, r.body);
    return r.json().payload as {
      ack: string;
      results: {
        seq: string;
        outcome: string;
        error?: { code: string; message: string; messageEn: string; field: string };
      }[];
    };
  };

  before(async () => {
    city = await syncNode({ role: 'all', nodeId: 'city-intake', masterKey: 'c3'.repeat(32) });
    agency = await city.agency('411526');
    other = await city.agency('411300');
    const admin = await city.staff('411526', 'as-admin', ['agency-admin']);
    const r = await city.app.inject({
      method: 'POST',
      url: '/api/v1/sync/agency-systems',
      headers: bearer(admin),
      payload: { agencyId: agency.id, name: '潢川县自建证照系统', publicKey: bytesToHex(key.publicKey.toRaw()) },
    });
    assert.equal(r.statusCode, 201, r.body);
    systemId = r.json().systemId;
    assert.equal(r.json().cityPublicKey, bytesToHex(city.services.issuance.nodeSigner.publicKey.toRaw()));
    // Another agency's admin may not enrol a system for this agency.
    const stranger = await city.staff('411300', 'as-other', ['agency-admin']);
    const no = await city.app.inject({
      method: 'POST',
      url: '/api/v1/sync/agency-systems',
      headers: bearer(stranger),
      payload: { agencyId: agency.id, name: 'x', publicKey: bytesToHex(key.publicKey.toRaw()) },
    });
    assert.equal(no.statusCode, 404);
  });
  after(async () => city?.close());

  test('a valid sealed certificate is accepted, becomes a city certificate and flows on to the province library', async () => {
    const doc = await make(9000001);
    const r = await push(doc);
    assert.equal(r.results[0]!.outcome, 'applied', JSON.stringify(r.results));
    const c = await city.store.db
      .selectFrom('certificates')
      .selectAll()
      .where('identifier', '=', doc.identifier)
      .executeTakeFirstOrThrow();
    assert.equal(c.status, 'issued');
    assert.equal(c.ofd_blob, sm3Hex(doc.ofd));
    assert.equal(c.agency_id, agency.id);
    // The same message again changes nothing.
    const again = await push(doc, {}, r.results[0]!.seq);
    assert.equal(again.results[0]!.outcome, 'duplicate');
    // BDCERT_ROLE=all: the node is its own province — the certificate reaches the library like any other.
    const lib = await until('in the library', () =>
      city.store.db
        .selectFrom('province_certificates')
        .selectAll()
        .where('identifier', '=', doc.identifier)
        .executeTakeFirst(),
    );
    assert.equal(lib.status, 'issued');
    // A status message from the system cancels it.
    const cancel = await push(
      { ...doc, ofd: undefined as unknown as Uint8Array },
      { status: 'cancelled', statusReason: '注销登记', ofdSm3: sm3Hex(doc.ofd) },
    );
    assert.equal(cancel.results[0]!.outcome, 'applied', JSON.stringify(cancel.results));
    await until(
      'cancelled in the library',
      async () =>
        (
          await city.store.db
            .selectFrom('province_certificates')
            .select('status')
            .where('identifier', '=', doc.identifier)
            .executeTakeFirst()
        )?.status === 'cancelled',
    );
  });

  test('refusals name the field in Chinese and English', async () => {
    const expectRefused = async (doc: Parameters<typeof push>[0], code: string, field: string, extra = {}) => {
      const r = await push(doc, extra);
      const x = r.results[0]!;
      assert.equal(x.outcome, 'rejected', `${code}: ${JSON.stringify(x)}`);
      assert.equal(x.error!.code, code, JSON.stringify(x.error));
      assert.equal(x.error!.field, field);
      assert.match(x.error!.message, /[\u4e00-\u9fff]/);
      assert.match(x.error!.messageEn, /[a-z]/);
      assert.equal(
        await city.store.db
          .selectFrom('certificates')
          .select('id')
          .where('identifier', '=', doc.identifier)
          .executeTakeFirst(),
        undefined,
      );
    };
    // The identifier names another agency's USCC.
    await expectRefused(await make(9000002, { issuer: other }), 'IDENTIFIER_ISSUER_MISMATCH', 'identifier');
    // A wrong check character.
    const typo = await make(9000003);
    const badId = `${typo.identifier.slice(0, -1)}${typo.identifier.endsWith('0') ? '1' : '0'}`;
    await expectRefused(
      { ...typo, identifier: badId, face: { ...typo.face, identifier: badId } },
      'IDENTIFIER_CHECK',
      'identifier',
    );
    // The file was altered after sealing (a byte inside the package).
    const altered = await make(9000004);
    const bytes = new Uint8Array(altered.ofd);
    bytes[Math.floor(bytes.length / 2)] = bytes[Math.floor(bytes.length / 2)]! ^ 0xff;
    await expectRefused({ ...altered, ofd: bytes }, 'SEAL_INVALID', 'ofd');
    // Sealed with another agency's seal.
    await expectRefused(await make(9000005, { sealOf: other }), 'SEAL_INVALID', 'ofd');
    // The file's metadata names another number than the face data.
    await expectRefused(
      await make(9000006, { metaNo: '豫(2026)潢川县不动产权第0000001号' }),
      'METADATA_MISMATCH',
      'ofd.meta.ZZBH',
    );
    // Face data without 坐落.
    const noLoc = await make(9000007);
    const { location: _l, ...face } = noLoc.face;
    await expectRefused({ ...noLoc, face }, 'INVALID_INVALID_TYPE', 'face.坐落');
    // The stream moved on: every refused message is recorded, the ack covers them.
    const peer = await city.store.db
      .selectFrom('sync_peers')
      .selectAll()
      .where('peer_id', '=', systemId)
      .executeTakeFirstOrThrow();
    assert.equal(peer.acked_seq, String(seq));
    assert.equal(peer.rejected_total, '6');
  });
});
