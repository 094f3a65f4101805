import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FsBlobStore, sm3Hex } from './blobs.js';

test('blob store: content-addressed by SM3, idempotent, detects corruption', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bdcert-blobs-'));
  try {
    const store = new FsBlobStore(dir);
    // GB/T 32905 example 1: SM3("abc")
    assert.equal(sm3Hex(Buffer.from('abc')), '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
    const bytes = new TextEncoder().encode('不动产权证书');
    const id = await store.put(bytes);
    assert.equal(id, sm3Hex(bytes));
    assert.equal(await store.put(bytes), id);
    assert.deepEqual(await store.get(id), bytes);
    assert.equal(await store.get('0'.repeat(64)), undefined);
    await assert.rejects(store.get('../../etc/passwd'), /invalid blob id/);
    const sub = join(dir, id.slice(0, 2), id.slice(2, 4));
    assert.deepEqual(readdirSync(sub), [id], 'no temp files left behind');
    writeFileSync(join(sub, id), 'tampered');
    await assert.rejects(store.get(id), /corrupt/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('blob store putSync: the same file as put, idempotent, and a removed directory is made again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bdcert-blobs-sync-'));
  try {
    const store = new FsBlobStore(dir);
    const bytes = new TextEncoder().encode('不动产登记证明');
    const id = store.putSync(bytes);
    assert.equal(id, sm3Hex(bytes));
    assert.deepEqual(await store.get(id), bytes, 'put and get read the same layout');
    assert.equal(await new FsBlobStore(dir).put(bytes), id, 'put finds the file putSync wrote');
    assert.equal(store.putSync(bytes, id), id);
    const sub = join(dir, id.slice(0, 2), id.slice(2, 4));
    assert.deepEqual(readdirSync(sub), [id], 'no temp files left behind');
    // A restore replaced the store under a running worker: the remembered directory is gone.
    rmSync(join(dir, id.slice(0, 2)), { recursive: true });
    assert.equal(store.putSync(bytes, id), id);
    assert.deepEqual(await store.get(id), bytes);
    assert.throws(() => store.putSync(bytes, 'not-a-hash'), /invalid blob id/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
