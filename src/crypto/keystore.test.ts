import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { MessagePort } from 'node:worker_threads';
import { sm4 } from 'sm-crypto-v2';
import { bytesToHex, hexToBytes, utf8 } from './bytes.js';
import { HttpKeyStore, LocalKeyStore } from './keystore.js';
import type { SignReply, SignRequest } from './signing-thread.js';
import { Sm2PrivateKey } from './sm2.js';
import { sm4GcmDecrypt, sm4GcmEncrypt, sm4GcmOpen, sm4GcmSeal } from './sm4.js';

describe('SM4-GCM', () => {
  test('RFC 8998 A.1 test vector (our GCM over native SM4-ECB/CTR), both directions', () => {
    const key = hexToBytes('0123456789ABCDEFFEDCBA9876543210');
    const iv = hexToBytes('00001234567800000000ABCD');
    const aad = hexToBytes('FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2');
    const plain = hexToBytes(
      'AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDDEEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA',
    );
    const r = sm4GcmEncrypt(key, iv, plain, aad);
    assert.equal(
      bytesToHex(r.ciphertext).toUpperCase(),
      '17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D',
    );
    assert.equal(bytesToHex(r.tag).toUpperCase(), '83DE3541E4C2B58177E065A9BF7B62EC');
    assert.deepEqual(sm4GcmDecrypt(key, iv, r.ciphertext, aad, r.tag), plain);
  });

  test('agrees with sm-crypto-v2 for every plaintext length 0–70 and AAD length 0–33', () => {
    const key = hexToBytes('00112233445566778899aabbccddeeff');
    for (let n = 0; n <= 70; n++)
      for (const a of [0, 1, 15, 16, 17, 33]) {
        const iv = new Uint8Array(12).map((_, i) => (n * 31 + a * 7 + i) & 0xff);
        const plain = new Uint8Array(n).map((_, i) => (i * 13 + n) & 0xff);
        const aad = new Uint8Array(a).map((_, i) => (i * 5 + 1) & 0xff);
        const ours = sm4GcmEncrypt(key, iv, plain, aad);
        const theirs = sm4.encrypt(plain, key, {
          mode: 'gcm',
          iv,
          associatedData: aad,
          output: 'array',
          outputTag: true,
        });
        assert.equal(bytesToHex(ours.ciphertext), bytesToHex(theirs.output), `ciphertext, n=${n} a=${a}`);
        assert.equal(bytesToHex(ours.tag), bytesToHex(theirs.tag!), `tag, n=${n} a=${a}`);
        assert.deepEqual(
          sm4.decrypt(ours.ciphertext, key, { mode: 'gcm', iv, tag: ours.tag, associatedData: aad, output: 'array' }),
          plain,
        );
      }
  });

  test('seal/open round trip; wrong key, AAD or any flipped byte is refused', () => {
    const key = new Uint8Array(16).fill(3);
    const sealed = sm4GcmSeal(key, utf8('公民身份号码 411526199001011234'), utf8('label'));
    assert.equal(new TextDecoder().decode(sm4GcmOpen(key, sealed, utf8('label'))), '公民身份号码 411526199001011234');
    assert.throws(() => sm4GcmOpen(new Uint8Array(16).fill(4), sealed, utf8('label')), /authentication failed/);
    assert.throws(() => sm4GcmOpen(key, sealed, utf8('other')), /authentication failed/);
    for (const i of [1, 13, sealed.length - 1]) {
      const t = new Uint8Array(sealed);
      t[i] = t[i]! ^ 1;
      assert.throws(() => sm4GcmOpen(key, t, utf8('label')));
    }
    assert.notDeepEqual(sm4GcmSeal(key, utf8('x')), sm4GcmSeal(key, utf8('x')), 'fresh IV each time');
  });
});

describe('key store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bdcert-keys-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('local: keys are stored encrypted with mode 0600 and sign after reopening', async () => {
    const master = new Uint8Array(32).fill(9);
    const ks = new LocalKeyStore(join(dir, 'k'), master);
    const { keyRef, publicKey } = await ks.generate('潢川县 seal signer');
    const file = readdirSync(join(dir, 'k'))[0]!;
    assert.equal(statSync(join(dir, 'k', file)).mode & 0o777, 0o600);
    const body = readFileSync(join(dir, 'k', file), 'utf8');
    const again = new LocalKeyStore(join(dir, 'k'), master);
    const signer = await again.signer(keyRef);
    assert.ok(signer.publicKey.equals(publicKey));
    const sig = await signer.sign(utf8('data'));
    assert.equal(publicKey.verify(utf8('data'), sig), true);
    assert.doesNotMatch(body, /PRIVATE KEY/);
    // an imported key's secret never appears in its file, in hex or base64
    const known = Sm2PrivateKey.generate();
    const ref2 = await ks.importKey('imported', known);
    const body2 = readFileSync(join(dir, 'k', `${ref2}.key`), 'utf8');
    assert.ok(!body2.toLowerCase().includes(bytesToHex(known.toRaw())));
    assert.ok(!body2.includes(Buffer.from(known.toPkcs8Der()).toString('base64').slice(0, 40)));
    assert.ok(!body2.includes(bytesToHex(known.toPkcs8Der()).slice(0, 40)));
    // a wrong master key cannot open it
    await assert.rejects(
      new LocalKeyStore(join(dir, 'k'), new Uint8Array(32).fill(1)).signer(keyRef),
      /authentication failed/,
    );
    // a key file swapped under another name is refused (keyRef is authenticated)
    const other = await ks.generate('other');
    const swapped = JSON.parse(readFileSync(join(dir, 'k', `${other.keyRef}.key`), 'utf8'));
    swapped.keyRef = keyRef;
    writeFileSync(join(dir, 'k', `${other.keyRef}.key`), JSON.stringify(swapped));
    await assert.rejects(new LocalKeyStore(join(dir, 'k'), master).signer(other.keyRef), /names another key/);
    await assert.rejects(ks.signer('../../etc/passwd'), /invalid key reference/);
  });

  test('local: a signing port signs on the key store’s thread, one port per holder; stopping it closes the ports', async () => {
    const ks = new LocalKeyStore(join(dir, 'ports'), new Uint8Array(32).fill(4));
    const { keyRef, publicKey } = await ks.generate('signing port');
    const other = await ks.generate('another key');
    const signer = await ks.signer(keyRef);
    const ask = (port: MessagePort, reqId: number, data: Uint8Array) =>
      new Promise<SignReply>((resolve) => {
        port.once('message', resolve);
        port.postMessage({ reqId, data } satisfies SignRequest);
      });
    const a = signer.connect!();
    const b = signer.connect!();
    const c = (await ks.signer(other.keyRef)).connect!();
    const [ra, rb, rc] = await Promise.all([ask(a, 7, utf8('甲')), ask(b, 8, utf8('乙')), ask(c, 9, utf8('甲'))]);
    assert.ok('signature' in ra && 'signature' in rb && 'signature' in rc);
    assert.equal(ra.reqId, 7);
    assert.equal(rb.reqId, 8);
    assert.equal(publicKey.verify(utf8('甲'), ra.signature), true);
    assert.equal(publicKey.verify(utf8('乙'), ra.signature), false);
    assert.equal(publicKey.verify(utf8('乙'), rb.signature), true);
    // each port signs with its own key
    assert.equal(publicKey.verify(utf8('甲'), rc.signature), false);
    assert.equal(other.publicKey.verify(utf8('甲'), rc.signature), true);
    // a malformed request is answered with an error for that request, and the port goes on signing
    const bad = await ask(a, 10, 42 as unknown as Uint8Array);
    assert.ok('error' in bad && bad.reqId === 10);
    const good = await ask(a, 11, utf8('丙'));
    assert.ok('signature' in good && publicKey.verify(utf8('丙'), good.signature));
    const closed = Promise.all([a, b, c].map((p) => new Promise((r) => p.once('close', r))));
    await ks.close();
    await closed;
    // the next port starts a new thread
    const d = signer.connect!();
    const rd = await ask(d, 1, utf8('丁'));
    assert.ok('signature' in rd && publicKey.verify(utf8('丁'), rd.signature));
    d.close();
    await ks.close();
  });

  test('http: the documented signing-server protocol, with every signature checked locally', async () => {
    const keys = new Map<string, Sm2PrivateKey>();
    let lie = false;
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const send = (code: number, obj: unknown) => {
          res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(obj));
        };
        const m = /^\/hsm\/keys(?:\/([^/]+))?(\/sign)?$/.exec(req.url ?? '');
        if (!m) return send(404, {});
        if (req.method === 'POST' && !m[1]) {
          const k = Sm2PrivateKey.generate();
          const keyRef = `hsm-${keys.size + 1}-xxxxxxxx`;
          keys.set(keyRef, k);
          return send(200, { keyRef, publicKey: bytesToHex(k.publicKey.toRaw()) });
        }
        const k = keys.get(m[1] ?? '');
        if (!k) return send(404, { error: 'no such key' });
        if (req.method === 'GET') return send(200, { keyRef: m[1], publicKey: bytesToHex(k.publicKey.toRaw()) });
        const data = Buffer.from(JSON.parse(body).data, 'base64');
        const sig = k.sign(lie ? utf8('something else') : data);
        return send(200, { signature: Buffer.from(sig).toString('base64') });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const ks = new HttpKeyStore(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hsm`);
      const { keyRef, publicKey } = await ks.generate('agency signer');
      const signer = await ks.signer(keyRef);
      assert.equal(publicKey.verify(utf8('abc'), await signer.sign(utf8('abc'))), true);
      lie = true;
      await assert.rejects(signer.sign(utf8('abc')), /invalid signature/);
      await assert.rejects(ks.signer('hsm-99-missing0'), /404/);
    } finally {
      server.close();
    }
  });
});
