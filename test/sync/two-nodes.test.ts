import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { Sm2PrivateKey } from '../../src/crypto/sm2.js';
import { verifyOfd } from '../../src/documents/verify.js';
import { runBatch, startBatch } from '../../src/modules/issuance/sealing.js';
import { type EnrolRequest, enrolBytes, signEnvelope } from '../../src/modules/sync/protocol.js';
import { appendOutbox } from '../../src/store/outbox.js';
import { TEST_BACKEND } from '../support/store.js';
import { bearer, entry, type SyncNode, syncNode, until } from './support.js';

const HOLDER = { name: '王五', idNumber: '11010519491231002X' };

describe(`city → province over HTTP, in one process [${TEST_BACKEND}]`, () => {
  let province: SyncNode;
  let city: SyncNode;
  let provinceAdmin = '';
  let cityAdmin = '';
  let registrar = '';
  let identifier = '';
  let certificateId = '';

  const library = (id: string) =>
    province.store.db.selectFrom('province_certificates').selectAll().where('identifier', '=', id).executeTakeFirst();
  const token = async (regions: string[]) => {
    const r = await province.app.inject({
      method: 'POST',
      url: '/api/v1/sync/enrolment-tokens',
      headers: bearer(provinceAdmin),
      payload: { label: 'test', regionCodes: regions },
    });
    assert.equal(r.statusCode, 201, r.body);
    return r.json().token as string;
  };
  const seal = async () => {
    const agency = await city.agency('411526');
    const b = await startBatch(city.services.issuance, {
      agencyId: agency.id,
      trigger: 'clerk',
      actor: { kind: 'system', id: 't' },
    });
    await runBatch(city.services.issuance, b.id);
  };

  before(async () => {
    province = await syncNode({ role: 'province', nodeId: 'henan', masterKey: 'a1'.repeat(32) });
    city = await syncNode({ role: 'city', nodeId: 'city-4115', masterKey: 'b2'.repeat(32) });
    provinceAdmin = await province.staff('410000', 'p-admin', ['province-admin']);
    cityAdmin = await city.staff('411526', 'c-admin', ['agency-admin']);
    registrar = await city.staff('411526', 'c-registrar', ['registrar']);
  });
  after(async () => {
    await city?.close();
    await province?.close();
  });

  test('enrolment: the city joins with a one-time token; reuse and a forged province key are refused', async () => {
    const t = await token(['4115']);
    const join = (tok: string) =>
      city.app.inject({
        method: 'POST',
        url: '/api/v1/sync/join',
        headers: bearer(cityAdmin),
        payload: { provinceUrl: province.url, token: tok },
      });
    // The token names the province key's fingerprint: a token with another fingerprint is refused by the city.
    const forged = `${t.slice(0, -16)}${'0'.repeat(16)}`;
    const bad = await join(forged);
    assert.equal(bad.statusCode, 422, bad.body);
    assert.equal(bad.json().error.field, 'token');
    const ok = await join(t);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json().regionCodes, ['4115']);
    const again = await join(t);
    assert.equal(again.statusCode, 422);
    assert.match(again.json().error.messageEn, /token invalid, used or expired/);
    const peer = await province.store.db
      .selectFrom('sync_peers')
      .selectAll()
      .where('peer_id', '=', 'city-4115')
      .executeTakeFirstOrThrow();
    assert.equal(peer.public_key_hex, bytesToHex(city.services.issuance.nodeSigner.publicKey.toRaw()));
    assert.equal(peer.base_url, city.url);
  });

  test('a certificate recorded at the city reaches the library, re-encrypted and indexed under the province key', async () => {
    const a = await city.agency('411526');
    const r = await city.app.inject({
      method: 'POST',
      url: '/api/v1/register/entries',
      headers: bearer(registrar),
      payload: entry({
        businessNo: 'SYNC000001',
        regionCode: '411526',
        agencyName: a.name,
        agencyCode: a.uscc,
        n: 1,
        holder: HOLDER,
      }),
    });
    assert.equal(r.statusCode, 201, r.body);
    identifier = r.json().outcome.identifier;
    certificateId = r.json().outcome.certificateId;
    const row = await until('the certificate at the province', () => library(identifier));
    assert.equal(row.node_id, 'city-4115');
    assert.equal(row.status, 'pending-seal');
    assert.equal(row.catalog.登记机构代码, a.uscc);
    // The face data is the province's own ciphertext: its key opens it, the city's does not.
    const face = JSON.parse(province.services.ctx.fieldCrypto.decrypt(row.face_enc));
    assert.equal(face.holders[0].idNumber, HOLDER.idNumber);
    assert.throws(() => city.services.ctx.fieldCrypto.decrypt(row.face_enc));
    assert.deepEqual(row.holder_keys, [province.services.ctx.fieldCrypto.index(HOLDER.idNumber)]);
    assert.notEqual(row.holder_keys[0], city.services.ctx.fieldCrypto.index(HOLDER.idNumber));
  });

  test('sealing and cancellation propagate; resending the whole stream changes nothing', async () => {
    await seal();
    await until('issued at the province', async () => (await library(identifier))?.status === 'issued');
    const sealed = (await library(identifier))!;
    assert.ok(sealed.files.ofdSm3 && sealed.seal?.esId);
    const admin = await city.staff('411526', 'c-admin2', ['agency-admin']);
    const c = await city.app.inject({
      method: 'POST',
      url: `/api/v1/certificates/${certificateId}/status`,
      headers: bearer(admin),
      payload: { action: 'cancel', reason: '注销登记' },
    });
    assert.equal(c.statusCode, 200, c.body);
    await until('cancelled at the province', async () => (await library(identifier))?.status === 'cancelled');
    const st = (await city.app.inject({ url: '/api/v1/sync/status', headers: bearer(cityAdmin) })).json();
    await until('nothing left to send', async () => {
      const s = (await city.app.inject({ url: '/api/v1/sync/status', headers: bearer(cityAdmin) })).json();
      return s.upstream.lagMessages === 0 && s.upstream.ackedSeq === s.upstream.lastSeq;
    });
    assert.ok(st.upstream.lastSuccessAt);
    // At-least-once: the whole stream again, as a city would after losing its ack — all duplicates, same ack.
    const peerBefore = await province.store.db
      .selectFrom('sync_peers')
      .selectAll()
      .where('peer_id', '=', 'city-4115')
      .executeTakeFirstOrThrow();
    const relay = await city.store.db.selectFrom('sync_relay').selectAll().executeTakeFirstOrThrow();
    await city.store.db.updateTable('sync_relay').set({ acked_seq: '0' }).execute();
    await until('re-acknowledged', async () => {
      const r = await city.store.db.selectFrom('sync_relay').select('acked_seq').executeTakeFirstOrThrow();
      return r.acked_seq === relay.acked_seq;
    });
    const peerAfter = await province.store.db
      .selectFrom('sync_peers')
      .selectAll()
      .where('peer_id', '=', 'city-4115')
      .executeTakeFirstOrThrow();
    assert.equal(peerAfter.acked_seq, peerBefore.acked_seq);
    assert.equal(peerAfter.messages_total, peerBefore.messages_total, 'no message recorded twice');
    assert.ok(BigInt(peerAfter.duplicates_total) >= BigInt(relay.acked_seq));
    assert.equal((await library(identifier))!.status, 'cancelled');
  });

  test('receiver: a gap holds the ack, a tampered message is refused unrecorded, out-of-region is rejected', async () => {
    // A second, hand-driven "city" whose messages we forge, so the real city's sequence is not disturbed.
    const key = Sm2PrivateKey.generate();
    const signer = key.asSigner();
    const t = await token(['4113']);
    const body: Omit<EnrolRequest, 'signature'> = {
      token: t,
      nodeId: 'city-test',
      name: '测试市',
      regionCodes: [],
      baseUrl: 'http://127.0.0.1:9',
      publicKey: bytesToHex(key.publicKey.toRaw()),
      at: new Date().toISOString(),
    };
    const enrol = await province.app.inject({
      method: 'POST',
      url: '/api/v1/sync/enrol',
      payload: { ...body, signature: bytesToHex(key.sign(enrolBytes(body))) },
    });
    assert.equal(enrol.statusCode, 200, enrol.body);
    const noop = (seq: string) =>
      signEnvelope(signer, {
        node: 'city-test',
        seq,
        type: 'noop',
        id: `x${seq}`,
        event: 'test',
        at: new Date().toISOString(),
        payload: { reason: 'test' },
      });
    const push = async (messages: unknown[]) => {
      const r = await province.app.inject({
        method: 'POST',
        url: '/api/v1/sync/push',
        payload: { node: 'city-test', messages },
      });
      assert.equal(r.statusCode, 200, r.body);
      return r.json().payload as {
        ack: string;
        results: { seq: string; outcome: string; error?: { code: string; field?: string } }[];
      };
    };
    assert.equal((await push([await noop('1'), await noop('3')])).ack, '1');
    const tampered = { ...(await noop('2')), payload: { reason: 'changed' } };
    const t2 = await push([tampered]);
    assert.equal(t2.ack, '1');
    assert.equal(t2.results[0]!.outcome, 'refused');
    assert.equal(t2.results[0]!.error!.code, 'BAD_DIGEST');
    const rows = await province.store.db
      .selectFrom('sync_inbound')
      .select('seq')
      .where('peer_id', '=', 'city-test')
      .orderBy('seq')
      .execute();
    assert.deepEqual(
      rows.map((r) => r.seq),
      ['1', '3'],
    );
    assert.equal((await push([await noop('2')])).ack, '3');
    // A certificate of an agency outside the node's regions (4113) is recorded as rejected, naming the field.
    const cityRow = (await library(identifier))!;
    const foreign = await signEnvelope(signer, {
      node: 'city-test',
      seq: '4',
      type: 'agency.state',
      id: cityRow.agency_uscc,
      event: 'test',
      at: new Date().toISOString(),
      payload: { uscc: cityRow.agency_uscc, name: '潢川县自然资源局', regionCode: '411526', level: 'county' },
    });
    const r4 = await push([foreign]);
    assert.equal(r4.ack, '4');
    assert.equal(r4.results[0]!.outcome, 'rejected');
    assert.equal(r4.results[0]!.error!.code, 'OUT_OF_REGION');
    assert.equal(r4.results[0]!.error!.field, 'agency.regionCode');
    // Unknown senders get nothing recorded at all.
    const unknown = await province.app.inject({
      method: 'POST',
      url: '/api/v1/sync/push',
      payload: { node: 'city-nobody', messages: [await noop('1')] },
    });
    assert.equal(unknown.statusCode, 401);
  });

  test('province-wide sharing: search and info from the library, download routed to the city; both hops audited', async () => {
    // A live certificate for the holder (the first one was cancelled).
    const a = await city.agency('411526');
    const r = await city.app.inject({
      method: 'POST',
      url: '/api/v1/register/entries',
      headers: bearer(registrar),
      payload: entry({
        businessNo: 'SYNC000002',
        regionCode: '411526',
        agencyName: a.name,
        agencyCode: a.uscc,
        n: 2,
        holder: HOLDER,
      }),
    });
    assert.equal(r.statusCode, 201, r.body);
    const live = r.json().outcome.identifier as string;
    await seal();
    await until('issued at the province', async () => (await library(live))?.status === 'issued');
    const id = province.services.identity.service;
    const actor = { kind: 'system' as const, id: 'test' };
    const agreementId = await id.createAgreement(
      {
        agreementNo: 'GX-PROV-001',
        institutionName: '中国建设银行股份有限公司河南省分行',
        institutionUscc: '91410000MA00TEST1X',
        certificateTypes: [],
        interfaces: ['search', 'download', 'info', 'verify'],
        regionCodes: ['41'],
        validFrom: new Date('2026-01-01'),
        validUntil: new Date('2030-12-31'),
      },
      actor,
    );
    const client = await id.createApiClient({ agreementId, name: 'bank' }, actor);
    const basic = `Basic ${Buffer.from(`${client.clientId}:${client.secret}`).toString('base64')}`;
    const use = {
      purpose: '个人住房抵押贷款审批',
      caseNo: 'JH-DK-2026-9',
      holderCode: HOLDER.idNumber,
      holderCodeType: '111',
    };
    const call = (path: string, body: object) =>
      province.app.inject({
        method: 'POST',
        url: `/api/v1/share/${path}`,
        headers: { authorization: basic },
        payload: body,
      });
    const s = await call('search', use);
    assert.equal(s.statusCode, 200, s.body);
    assert.ok(
      s.json().items.some((x: { identifier: string; issuer: string }) => x.identifier === live && x.issuer === a.name),
    );
    const info = await call('info', { ...use, identifier: live, fields: ['certificateNo', 'holders'] });
    assert.equal(info.statusCode, 200, info.body);
    assert.equal(info.json().face.holders[0].idNumber, HOLDER.idNumber);
    const other = await call('info', { ...use, identifier: live, holderCode: '411526198503120026' });
    assert.equal(other.statusCode, 404);
    const d = await call('download', { ...use, identifier: live });
    assert.equal(d.statusCode, 200, d.body);
    const v = await verifyOfd(new Uint8Array(d.rawPayload), { trustedRoots: city.services.sealCrypto.trustedRoots() });
    assert.ok(v.valid, JSON.stringify(v.checks.filter((c) => c.status === 'failed')));
    assert.equal(v.seal?.name, '潢川县自然资源局不动产登记专用章');
    assert.equal(v.meta.ZZBS, live);
    assert.equal(v.meta.JZJZZZ, '中国建设银行股份有限公司河南省分行');
    const provinceHop = await province.store.db
      .selectFrom('audit.entries')
      .selectAll()
      .where('action', '=', 'share.download')
      .where('result', '=', 'success')
      .execute();
    assert.equal(provinceHop.length, 1);
    assert.equal(provinceHop[0]!.client_id, client.clientId);
    assert.equal(provinceHop[0]!.case_no, 'JH-DK-2026-9');
    assert.equal((provinceHop[0]!.details as { via: string }).via, 'owning-city');
    const cityHop = await city.store.db
      .selectFrom('audit.entries')
      .selectAll()
      .where('action', '=', 'share.download')
      .execute();
    assert.equal(cityHop.length, 1);
    assert.equal(cityHop[0]!.actor_id, 'node:henan');
    assert.equal(cityHop[0]!.client_id, client.clientId);
    assert.equal(cityHop[0]!.purpose, '个人住房抵押贷款审批');
    assert.equal(cityHop[0]!.holder_key, city.services.ctx.fieldCrypto.index(HOLDER.idNumber));
  });

  test('reconciliation reports a certificate the province lost and repairs it by re-sending', async () => {
    const run = async () => {
      const r = await city.app.inject({
        method: 'POST',
        url: '/api/v1/sync/reconcile/run',
        headers: bearer(cityAdmin),
        payload: {},
      });
      assert.equal(r.statusCode, 200, r.body);
      return r.json();
    };
    assert.equal((await run()).status, 'ok');
    await province.store.db.deleteFrom('province_certificates').where('identifier', '=', identifier).execute();
    const first = await run();
    assert.equal(first.status, 'diverged');
    assert.equal(first.diverging[0].missing, 1);
    assert.equal(first.repaired, 1);
    await until('repaired', async () => (await library(identifier))?.status === 'cancelled');
    assert.equal((await run()).status, 'ok');
    const prov = await province.store.db
      .selectFrom('sync_reconciliations')
      .selectAll()
      .where('side', '=', 'province')
      .orderBy('started_at')
      .execute();
    assert.deepEqual(
      prov.map((x) => x.status),
      ['ok', 'diverged', 'ok'],
    );
  });

  test('sequencing never skips an outbox row that commits after a higher id (out-of-order commits)', {
    skip: TEST_BACKEND !== 'postgres' && 'PGlite is one connection: transactions cannot interleave',
  }, async () => {
    const relay = city.services.sync.relay!;
    const a = new pg.Client({ connectionString: city.store.url });
    const b = new pg.Client({ connectionString: city.store.url });
    await a.connect();
    await b.connect();
    try {
      await relay.stop();
      await relay.sequence();
      const before = await city.store.db
        .selectFrom('sync_outbound')
        .select((eb) => eb.fn.max('seq').as('m'))
        .executeTakeFirstOrThrow();
      // A takes its outbox id first and stays open; B takes the next id and commits.
      await a.query('begin');
      await a.query(
        `insert into outbox (aggregate_type, aggregate_id, event_type, payload) values ('agency', 'older', 'test', '{}')`,
      );
      await b.query('begin');
      await b.query(
        `insert into outbox (aggregate_type, aggregate_id, event_type, payload) values ('agency', 'newer', 'test', '{}')`,
      );
      await b.query('commit');
      const aXid = (await a.query<{ x: string }>('select pg_current_xact_id()::text as x')).rows[0]!.x;
      await relay.sequence();
      // The scan floor stays at or below the open transaction, so its row is still scanned later.
      const floor = await city.store.db.selectFrom('sync_relay').select('floor_txid').executeTakeFirstOrThrow();
      assert.ok(BigInt(floor.floor_txid) <= BigInt(aXid), `floor ${floor.floor_txid} ≤ open xid ${aXid}`);
      // The committed row is numbered at once; the open transaction's older id is not visible yet.
      const mid = await city.store.db
        .selectFrom('sync_outbound')
        .select('aggregate_id')
        .where('seq', '>', String(before.m))
        .execute();
      assert.deepEqual(
        mid.map((r) => r.aggregate_id),
        ['newer'],
      );
      await a.query('commit');
      await relay.sequence();
      // An id high-water mark (11 numbered, so "everything up to 11 is done") would skip 'older' for ever.
      const after = await city.store.db
        .selectFrom('sync_outbound')
        .select(['seq', 'aggregate_id'])
        .where('seq', '>', String(before.m))
        .orderBy('seq')
        .execute();
      assert.deepEqual(
        after.map((r) => r.aggregate_id),
        ['newer', 'older'],
      );
      await appendOutbox(city.store.db, {
        aggregateType: 'agency',
        aggregateId: 'later',
        eventType: 'test',
        payload: {},
      });
      await relay.sequence();
      const last = await city.store.db
        .selectFrom('sync_outbound')
        .select('aggregate_id')
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirstOrThrow();
      assert.equal(last.aggregate_id, 'later');
    } finally {
      await a.end();
      await b.end();
      relay.start();
    }
  });
});
