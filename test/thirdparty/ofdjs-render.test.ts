import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DevCa } from '../../src/crypto/dev-ca.js';
import { LocalKeyStore } from '../../src/crypto/keystore.js';
import { Sm2PrivateKey } from '../../src/crypto/sm2.js';
import { sealPng } from '../../src/documents/seal-image.js';
import { buildMiniSealedOfd } from './mini-ofd.js';
import { redShare, renderWithOfdJs } from './ofdjs-browser.js';
import { browserSkipReason } from './tools.js';

/**
 * Issue 5 "a third-party reader opens the OFD": ofd.js 0.2.6 in headless Debian Chromium draws the Chinese text
 * and the seal, and its own SES check of the stamp passes. Screenshots go to test-results/ (gitignored).
 */
const skip = browserSkipReason();
const T0 = new Date('2026-01-01T00:00:00Z');
const YEAR = 365 * 86400_000;
const NUMBER = '豫（2024）潢川县不动产权第0001234号';
const LOCATION = '潢川县春申街道跃进路188号';

describe('ofd.js 0.2.6 renders a bdcert sealed OFD in Chromium', { skip }, () => {
  let dir: string;
  let ca: DevCa;
  let signerKey: Sm2PrivateKey;
  let signerCert: Uint8Array;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bdcert-ofdjs-render-'));
    const keys = new LocalKeyStore(join(dir, 'keys'), new Uint8Array(32).fill(5));
    ca = await DevCa.loadOrCreate(keys, join(dir, 'keys', 'dev-ca.json'), T0);
    signerKey = Sm2PrivateKey.generate();
    signerCert = await ca.issue(
      { commonName: '潢川县自然资源局' },
      signerKey.publicKey,
      'signer',
      T0,
      new Date(T0.getTime() + 3 * YEAR),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function sealedHarnessOfd(signer = signerKey): Promise<Uint8Array> {
    return buildMiniSealedOfd({
      lines: [
        { xMm: 70, yMm: 40, sizeMm: 10, text: '不动产权证书' },
        { xMm: 30, yMm: 70, sizeMm: 5, text: NUMBER },
        { xMm: 30, yMm: 90, sizeMm: 5, text: `坐落：${LOCATION}` },
        { xMm: 60, yMm: 200, sizeMm: 5, text: '登记机构（章）' },
      ],
      stamp: { xMm: 55, yMm: 175, wMm: 42, hMm: 42 },
      seal: {
        esId: '4115260012345',
        name: '潢川县自然资源局不动产登记专用章',
        png: sealPng('潢川县自然资源局', 400),
        validFrom: T0,
        validTo: new Date(T0.getTime() + 2 * YEAR),
        maker: ca.maker,
        signerCertDer: signerCert,
        signer: signer.asSigner(),
      },
      time: new Date('2026-03-01T02:00:00Z'),
    });
  }

  test('harness OFD: Chinese text in the DOM, the seal drawn red, ofd.js verifies the stamp', async () => {
    const r = await renderWithOfdJs(await sealedHarnessOfd(), { screenshotName: 'ofdjs-harness.png' });
    assert.ok(r.ok, r.error);
    assert.equal(r.pages, 1);
    const all = r.texts.join('');
    for (const s of ['不动产权证书', NUMBER, LOCATION, '登记机构（章）'])
      assert.ok(all.includes(s), `missing ${s} in ${all}`);
    assert.deepEqual(r.stamps, [{ type: 'png', verifyRet: true }]);
    assert.equal(r.sealImages, 1);
    assert.ok(r.sealBox);
    assert.ok(redShare(r.screenshot, r.sealBox) > 0.05, 'the seal is visibly red in the screenshot');
  });

  test("not blind: a stamp signed by a key other than the certificate's fails ofd.js's own check", async () => {
    const r = await renderWithOfdJs(await sealedHarnessOfd(Sm2PrivateKey.generate()), {
      screenshotName: 'ofdjs-harness-wrong-key.png',
    });
    assert.ok(r.ok, r.error);
    assert.deepEqual(r.stamps, [{ type: 'png', verifyRet: false }]);
  });
});
