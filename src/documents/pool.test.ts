import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { T0, testSeal } from '../../test/documents/support.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P } from '../../test/fixtures/domain/samples.js';
import { sm3Hex } from '../crypto/sm3.js';
import { createRenderPool, type RenderPool } from './pool.js';
import { verifyOfd } from './verify.js';

describe('render pool (worker threads, signing on this thread)', () => {
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

  test('a closed pool refuses work', async () => {
    const p = createRenderPool({ size: 1 });
    await p.close();
    await assert.rejects(p.render({ face: P, seal: material.seal, time: T0, docId: 'X', meta: {} }), /closed/);
  });
});
