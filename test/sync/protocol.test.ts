import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { Sm2PrivateKey } from '../../src/crypto/sm2.js';
import { validateFace } from '../../src/domain/face-data.js';
import { faceToItems, itemsToFace } from '../../src/domain/face-items.js';
import { backoffMs, contiguousUpTo, cstDay, dueSlot, inRegions, regionsWithin } from '../../src/domain/sync.js';
import {
  canonicalJson,
  keyFingerprint,
  makeEnrolmentToken,
  parseEnrolmentToken,
  signEnvelope,
  signRequest,
  signResponse,
  verifyEnvelope,
  verifyRequest,
  verifyResponse,
} from '../../src/modules/sync/protocol.js';
import { summarise } from '../../src/modules/sync/reconcile.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P, SAMPLE_REGISTRATION_PROOF as R } from '../fixtures/domain/samples.js';

describe('sync protocol', () => {
  const key = Sm2PrivateKey.generate();
  const other = Sm2PrivateKey.generate();
  const msg = {
    node: 'city-4115',
    seq: '7',
    type: 'noop' as const,
    id: 'x',
    event: 'test',
    at: '2026-11-20T02:00:00.000Z',
  };

  test('canonical JSON ignores key order and undefined, keeps array order', () => {
    assert.equal(canonicalJson({ b: 1, a: [2, { d: undefined, c: '不动产' }] }), '{"a":[2,{"c":"不动产"}],"b":1}');
    assert.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
    assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
  });

  test('an envelope verifies with the sender key only; any change to payload or header is caught', async () => {
    const e = await signEnvelope(key.asSigner(), { ...msg, payload: { b: 2, a: 1 } });
    assert.equal(verifyEnvelope(e, key.publicKey), undefined);
    // Re-ordered keys are the same canonical bytes.
    assert.equal(verifyEnvelope({ ...e, payload: { a: 1, b: 2 } }, key.publicKey), undefined);
    assert.equal(verifyEnvelope(e, other.publicKey), 'BAD_SIGNATURE');
    assert.equal(verifyEnvelope({ ...e, payload: { a: 1, b: 3 } }, key.publicKey), 'BAD_DIGEST');
    assert.equal(verifyEnvelope({ ...e, seq: '8' }, key.publicKey), 'BAD_SIGNATURE');
    assert.equal(verifyEnvelope({ ...e, node: 'city-4113' }, key.publicKey), 'BAD_SIGNATURE');
    assert.equal(verifyEnvelope({ ...e, type: 'certificate.state' }, key.publicKey), 'BAD_SIGNATURE');
  });

  test('signed requests are bound to the path and to time; responses to the payload', async () => {
    const now = new Date('2026-11-20T02:00:00Z');
    const r = await signRequest(key.asSigner(), 'henan', '/api/v1/sync/node/download', { identifier: 'x' }, now);
    assert.equal(verifyRequest('/api/v1/sync/node/download', r, key.publicKey, now), undefined);
    assert.equal(verifyRequest('/api/v1/sync/reconcile', r, key.publicKey, now), 'BAD_SIGNATURE');
    assert.equal(
      verifyRequest('/api/v1/sync/node/download', { ...r, payload: { identifier: 'y' } }, key.publicKey, now),
      'BAD_SIGNATURE',
    );
    assert.equal(
      verifyRequest('/api/v1/sync/node/download', r, key.publicKey, new Date(now.getTime() + 6 * 60_000)),
      'STALE_REQUEST',
    );
    const res = await signResponse(key.asSigner(), 'henan', { ack: '5' }, now);
    assert.ok(verifyResponse(res, key.publicKey));
    assert.ok(!verifyResponse({ ...res, payload: { ack: '6' } }, key.publicKey));
  });

  test('an enrolment token carries the province key fingerprint', () => {
    const t = makeEnrolmentToken('henan', key.publicKey);
    const p = parseEnrolmentToken(t)!;
    assert.equal(p.provinceNodeId, 'henan');
    assert.equal(p.fingerprint, keyFingerprint(key.publicKey));
    assert.notEqual(p.fingerprint, keyFingerprint(other.publicKey));
    assert.equal(parseEnrolmentToken('bdc1.henan.short.0011'), undefined);
    assert.equal(bytesToHex(key.publicKey.toRaw()).length, 130);
  });

  test('face data as 附件2 items is lossless for both kinds, lists stay aligned', () => {
    for (const s of [P, R]) {
      const items = faceToItems(s.kind, s as unknown as Record<string, unknown>);
      assert.ok('坐落' in items && '权利人证件号' in items);
      const back = itemsToFace(s.kind, JSON.parse(JSON.stringify(items)));
      assert.deepEqual(back.problems, []);
      const v = validateFace(back.face);
      assert.ok(v.ok);
      assert.deepEqual(v.value, (validateFace(s) as { value: unknown }).value);
    }
    const items = faceToItems('property-certificate', P as unknown as Record<string, unknown>);
    assert.deepEqual(items.共有人, ['李四']);
    assert.deepEqual(items.共有比例, [50]);
    const bad = itemsToFace('property-certificate', { ...items, 权利人: '张三', 不存在的项: 1 });
    assert.deepEqual(
      bad.problems.map((p) => p.item),
      ['权利人', '不存在的项'],
    );
  });

  test('pure rules: China Standard Time days, due slots, backoff with jitter, regions, contiguity', () => {
    assert.equal(cstDay(new Date('2026-11-20T15:59:59Z')), '2026-11-20');
    assert.equal(cstDay(new Date('2026-11-20T16:00:00Z')), '2026-11-21');
    const noon = new Date('2026-11-20T04:05:00Z'); // 12:05 CST
    assert.equal(dueSlot(noon, ['12:00', '18:00'], new Set()), '2026-11-20 12:00');
    assert.equal(dueSlot(noon, ['12:00', '18:00'], new Set(['2026-11-20 12:00'])), undefined);
    assert.equal(dueSlot(new Date('2026-11-20T03:59:00Z'), ['12:00'], new Set()), undefined);
    assert.equal(dueSlot(new Date('2026-11-20T04:31:00Z'), ['12:00'], new Set()), undefined);
    assert.equal(
      backoffMs(1, 500, 60_000, () => 0),
      250,
    );
    assert.equal(
      backoffMs(1, 500, 60_000, () => 1),
      500,
    );
    assert.equal(
      backoffMs(4, 500, 60_000, () => 1),
      4000,
    );
    assert.equal(
      backoffMs(40, 500, 60_000, () => 1),
      60_000,
    );
    assert.ok(backoffMs(40, 500, 60_000, () => 0) >= 30_000);
    assert.ok(inRegions('411526', ['4115']) && !inRegions('411300', ['4115']) && inRegions('411300', ['']));
    assert.ok(regionsWithin(['411526', '4115'], ['41']) && !regionsWithin(['42'], ['41']));
    assert.equal(contiguousUpTo(3n, new Set([4n, 5n, 7n])), 5n);
  });

  test('reconciliation digests: equal sets give equal digests in any order; any change shows', () => {
    const lines = [
      { day: '2026-11-20', identifier: 'B', status: 'issued', version: 1 },
      { day: '2026-11-20', identifier: 'A', status: 'issued', version: 1 },
      { day: '2026-11-21', identifier: 'C', status: 'cancelled', version: 2 },
    ];
    const a = summarise(lines);
    const b = summarise([...lines].reverse());
    assert.deepEqual(a.get('2026-11-20'), b.get('2026-11-20'));
    assert.deepEqual(a.get('2026-11-21'), b.get('2026-11-21'));
    assert.equal(a.get('2026-11-20')!.count, 2);
    const changed = summarise(lines.map((l) => (l.identifier === 'A' ? { ...l, status: 'cancelled' } : l)));
    assert.notEqual(changed.get('2026-11-20')!.digest, a.get('2026-11-20')!.digest);
    assert.equal(changed.get('2026-11-21')!.digest, a.get('2026-11-21')!.digest);
  });
});
