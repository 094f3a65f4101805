import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { T0, testSeal } from '../../test/documents/support.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P } from '../../test/fixtures/domain/samples.js';
import { LocalKeyStore } from '../crypto/keystore.js';
import { sm3Hex } from '../crypto/sm3.js';
import { FsBlobStore } from '../store/blobs.js';
import { createRenderPool, type RenderPool } from './pool.js';
import { verifyOfd } from './verify.js';

describe('render pool (worker threads; signing on this thread or the key store’s)', () => {
  let material: Awaited<ReturnType<typeof testSeal>>;
  let pool: RenderPool;
  let signed = 0;
  before(async () => {
    material = await testSeal();
    pool = createRenderPool({ size: 1 });
  });
  after(async () => {
    await pool.close();
  });

  test('a certificate drawn by a worker is a valid sealed OFD; the signature is asked of the seal’s signer', async () => {
    const signer = material.seal.signer;
    const counting = {
      publicKey: signer.publicKey,
      sign: (d: Uint8Array) => {
        signed++;
        return signer.sign(d);
      },
    };
    const r = await Promise.all(
      [0, 1, 2].map((i) =>
        pool.render({
          face: { ...P, location: `${P.location}${i}` },
          seal: { ...material.seal, signer: counting },
          time: T0,
          docId: `POOL${i}`,
          meta: {},
        }),
      ),
    );
    assert.equal(signed, 3, 'one SM2 signature per certificate, made here');
    for (const x of r) {
      const v = await verifyOfd(x.ofd, { trustedRoots: material.roots });
      assert.equal(v.verdict, 'valid', JSON.stringify(v.checks.filter((c) => c.status !== 'passed')));
      assert.equal(x.ofdSm3, sm3Hex(x.ofd));
      assert.equal(x.pdfSm3, sm3Hex(x.pdf));
      assert.ok(x.pdf.length > 10_000 && x.pages === 3);
    }
  });

  test('errors come back with their code; a failing signer fails that certificate only', async () => {
    await assert.rejects(
      pool.render({
        face: { ...P, holders: [{ ...P.holders[0]!, name: '王\u{30EDE}' }] },
        seal: material.seal,
        time: T0,
        docId: 'BAD',
        meta: {},
      }),
      (e: Error & { code?: string }) => e.code === 'FONT_GLYPH_MISSING' && /U\+30EDE/.test(e.message),
    );
    const broken = {
      publicKey: material.seal.signer.publicKey,
      sign: async () => {
        throw new Error('the crypto device is offline');
      },
    };
    const [bad, good] = await Promise.allSettled([
      pool.render({ face: P, seal: { ...material.seal, signer: broken }, time: T0, docId: 'NOSIG', meta: {} }),
      pool.render({ face: P, seal: material.seal, time: T0, docId: 'OK', meta: {} }),
    ]);
    assert.equal(bad.status, 'rejected');
    assert.match(String(bad.status === 'rejected' ? bad.reason : ''), /crypto device is offline/);
    assert.equal(good.status, 'fulfilled');
  });

  test('renderToStore: the worker writes both files into the blob store and answers with their names only', async () => {
    for (const size of [1, 0]) {
      const root = mkdtempSync(join(tmpdir(), 'bdcert-pool-blobs-'));
      const p = createRenderPool({ size, blobRoot: root });
      try {
        const r = await p.renderToStore({ face: P, seal: material.seal, time: T0, docId: `STORE${size}`, meta: {} });
        assert.deepEqual(Object.keys(r).sort(), ['ofdBytes', 'ofdSm3', 'pages', 'pdfBytes', 'pdfSm3'], 'no bytes');
        const blobs = new FsBlobStore(root);
        const ofd = await blobs.get(r.ofdSm3); // get checks the SM3 of what it reads
        const pdf = await blobs.get(r.pdfSm3);
        assert.ok(ofd && pdf, `size ${size}: both files stored`);
        assert.equal(ofd.length, r.ofdBytes);
        assert.equal(pdf.length, r.pdfBytes);
        const v = await verifyOfd(ofd, { trustedRoots: material.roots });
        assert.equal(v.verdict, 'valid');
        const leftovers = readdirSync(root, { recursive: true }).filter((f) => String(f).endsWith('.tmp'));
        assert.deepEqual(leftovers, [], 'no temporary files left');
      } finally {
        await p.close();
        rmSync(root, { recursive: true, force: true });
      }
    }
    // a pool without a blob store refuses, naming what is missing
    await assert.rejects(
      pool.renderToStore({ face: P, seal: material.seal, time: T0, docId: 'NOSTORE', meta: {} }),
      /blobRoot/,
    );
  });

  test('a seal whose key store has a signing thread is signed there, not on this thread; if it stops, here', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bdcert-pool-keys-'));
    const keys = new LocalKeyStore(join(dir, 'k'), new Uint8Array(32).fill(5));
    const viaStore = await keys.signer(await keys.importKey('pool signer', material.key));
    let here = 0;
    const signer = {
      publicKey: viaStore.publicKey,
      sign: (d: Uint8Array) => {
        here++;
        return viaStore.sign(d);
      },
      connect: () => viaStore.connect!(),
    };
    const p = createRenderPool({ size: 1 }); // its own pool: the shared one already holds this seal without a port
    const draw = (docId: string) =>
      p.render({ face: P, seal: { ...material.seal, signer }, time: T0, docId, meta: {} });
    const valid = async (r: Awaited<ReturnType<typeof draw>>) =>
      assert.equal((await verifyOfd(r.ofd, { trustedRoots: material.roots })).verdict, 'valid');
    try {
      for (const r of await Promise.all(['PORT0', 'PORT1', 'PORT2'].map(draw))) await valid(r);
      assert.equal(here, 0, 'signed by the key store’s thread, no request to this one');
      await keys.close(); // the worker's port closes; it asks this thread from now on
      await valid(await draw('PORT3'));
      assert.equal(here, 1);
    } finally {
      await p.close();
      await keys.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a closed pool refuses work', async () => {
    const p = createRenderPool({ size: 1 });
    await p.close();
    await assert.rejects(p.render({ face: P, seal: material.seal, time: T0, docId: 'X', meta: {} }), /closed/);
  });
});
