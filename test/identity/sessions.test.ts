import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createSession,
  purgeEndedSessions,
  purgeExpiredNonces,
  revokeSession,
} from '../../src/modules/identity/sessions.js';
import { openTestStore, TEST_BACKEND, type TestStore } from '../support/store.js';

describe(`[${TEST_BACKEND}] session housekeeping`, () => {
  let store: TestStore;
  before(async () => {
    store = await openTestStore();
  });
  after(async () => store.dispose());

  test('ended sessions older than a week are purged; live ones stay', async () => {
    const t0 = new Date('2026-11-01T00:00:00Z');
    const s = { kind: 'holder' as const, holderKey: 'k', mfa: true, lifetimeMs: 3600_000, idleMs: 3600_000 };
    const old = await createSession(store.db, s, t0);
    const revoked = await createSession(store.db, { ...s, lifetimeMs: 30 * 24 * 3600_000 }, t0);
    await revokeSession(store.db, revoked.id, new Date('2026-11-02T00:00:00Z'));
    const live = await createSession(store.db, s, new Date('2026-11-22T00:00:00Z'));
    const n = await purgeEndedSessions(store.db, new Date('2026-11-22T00:30:00Z'));
    assert.equal(n, 2);
    const left = await store.db.selectFrom('sessions').select('id').execute();
    assert.deepEqual(
      left.map((r) => r.id),
      [live.id],
    );
    assert.notEqual(old.token, live.token);
  });

  test('expired request nonces are purged', async () => {
    await store.db
      .insertInto('request_nonces')
      .values([
        { client_id: 'c', nonce: 'old-nonce-000000001', expires_at: new Date('2026-11-22T00:00:00Z') },
        { client_id: 'c', nonce: 'new-nonce-000000001', expires_at: new Date('2026-11-22T01:00:00Z') },
      ])
      .execute();
    assert.equal(await purgeExpiredNonces(store.db, new Date('2026-11-22T00:30:00Z')), 1);
    const left = await store.db.selectFrom('request_nonces').select('nonce').execute();
    assert.deepEqual(
      left.map((r) => r.nonce),
      ['new-nonce-000000001'],
    );
  });
});
