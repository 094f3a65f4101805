import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { bytesToHex, hexToBytes, utf8 } from './bytes.js';
import { SigningThread } from './signing-thread.js';
import { Sm2PrivateKey, Sm2PublicKey, type Sm2Signer } from './sm2.js';
import { hmacSm3 } from './sm3.js';
import { sm4GcmOpen, sm4GcmSeal } from './sm4.js';

/**
 * Key store port (issue 4 §3). Private signing keys never leave it in the clear: the local store keeps them
 * SM4-GCM-encrypted under a key derived from the master key; a hardware crypto device or a remote signing server
 * (密码机/签章服务器) implements the same interface through `HttpKeyStore`.
 */
export interface KeyStore {
  readonly kind: string;
  /** Makes a new SM2 key inside the store; returns its reference and public key. */
  generate(label: string): Promise<{ keyRef: string; publicKey: Sm2PublicKey }>;
  publicKey(keyRef: string): Promise<Sm2PublicKey>;
  signer(keyRef: string): Promise<Sm2Signer>;
}

const KEY_REF = /^[A-Za-z0-9_-]{8,80}$/;

const KeyFile = z.object({
  format: z.literal('bdcert-key/1'),
  keyRef: z.string(),
  label: z.string(),
  publicKey: z.string().regex(/^04[0-9a-f]{128}$/),
  sealed: z.string(), // hex of sm4GcmSeal(PKCS#8 DER), AAD = keyRef
  createdAt: z.string(),
});

/** Local key store: one file per key, mode 0600, the PKCS#8 body SM4-GCM-sealed with the keyRef as AAD. */
export class LocalKeyStore implements KeyStore {
  readonly kind = 'local';
  private readonly kek: Uint8Array;
  private readonly cache = new Map<string, Sm2PrivateKey>();
  /** Signs for render workers (signing-thread.ts); starts with the first one that connects. */
  private readonly signing = new SigningThread();

  constructor(
    private readonly dir: string,
    masterKey: Uint8Array,
  ) {
    if (masterKey.length < 16) throw new Error('master key must be at least 128 bits');
    this.kek = hmacSm3(masterKey, 'bdcert/keystore/sm4-gcm/v1').subarray(0, 16);
  }

  async generate(label: string): Promise<{ keyRef: string; publicKey: Sm2PublicKey }> {
    const key = Sm2PrivateKey.generate();
    const keyRef = await this.importKey(label, key);
    return { keyRef, publicKey: key.publicKey };
  }

  /** Stores an existing key (e.g. one issued with a certificate elsewhere). */
  async importKey(label: string, key: Sm2PrivateKey, keyRef: string = `k-${randomUUID()}`): Promise<string> {
    if (!KEY_REF.test(keyRef)) throw new Error('invalid key reference');
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file: z.infer<typeof KeyFile> = {
      format: 'bdcert-key/1',
      keyRef,
      label,
      publicKey: bytesToHex(key.publicKey.toRaw()),
      sealed: bytesToHex(sm4GcmSeal(this.kek, key.toPkcs8Der(), utf8(keyRef))),
      createdAt: new Date().toISOString(),
    };
    const path = join(this.dir, `${keyRef}.key`);
    const tmp = `${path}.tmp`;
    await writeFile(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(tmp, 0o600);
    await rename(tmp, path);
    this.cache.set(keyRef, key);
    return keyRef;
  }

  private async load(keyRef: string): Promise<Sm2PrivateKey> {
    const hit = this.cache.get(keyRef);
    if (hit) return hit;
    if (!KEY_REF.test(keyRef)) throw new Error('invalid key reference');
    let raw: string;
    try {
      raw = await readFile(join(this.dir, `${keyRef}.key`), 'utf8');
    } catch {
      throw new Error(`key ${keyRef} not found in the key store`);
    }
    const f = KeyFile.parse(JSON.parse(raw));
    if (f.keyRef !== keyRef) throw new Error(`key file ${keyRef} names another key`);
    const key = Sm2PrivateKey.fromPkcs8Der(sm4GcmOpen(this.kek, hexToBytes(f.sealed), utf8(keyRef)));
    if (bytesToHex(key.publicKey.toRaw()) !== f.publicKey) throw new Error(`key file ${keyRef}: public key mismatch`);
    this.cache.set(keyRef, key);
    return key;
  }

  async publicKey(keyRef: string): Promise<Sm2PublicKey> {
    return (await this.load(keyRef)).publicKey;
  }

  async signer(keyRef: string): Promise<Sm2Signer> {
    const key = await this.load(keyRef);
    return { ...key.asSigner(), connect: () => this.signing.connect(keyRef, key) };
  }

  /** Stops the signing thread (it never keeps the process alive; ports handed out close, their holders sign here). */
  close(): Promise<void> {
    return this.signing.close();
  }
}

/**
 * Remote signing server / crypto device over HTTP (docs/crypto.md "Signing server protocol"):
 *   POST {base}/keys                 {"label"}                 → 200 {"keyRef", "publicKey": "04…" (hex)}
 *   GET  {base}/keys/{keyRef}                                   → 200 {"keyRef", "publicKey"}
 *   POST {base}/keys/{keyRef}/sign   {"data": base64, "id"?}   → 200 {"signature": base64 DER SEQUENCE{r,s}}
 * The server computes Z_A with the given ID (default 1234567812345678) and signs SM3(Z_A ‖ data). Every response's
 * signature is verified locally before it is used, so a faulty device cannot make us emit a bad seal.
 */
export class HttpKeyStore implements KeyStore {
  readonly kind = 'http';
  constructor(
    private readonly baseUrl: string,
    private readonly headers: Record<string, string> = {},
    private readonly timeoutMs = 10_000,
  ) {}

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(new URL(path, this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`), {
      method,
      headers: { 'content-type': 'application/json', ...this.headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) throw new Error(`signing server ${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  }

  async generate(label: string): Promise<{ keyRef: string; publicKey: Sm2PublicKey }> {
    const r = z
      .object({ keyRef: z.string().regex(KEY_REF), publicKey: z.string() })
      .parse(await this.call('POST', 'keys', { label }));
    return { keyRef: r.keyRef, publicKey: Sm2PublicKey.fromRaw(r.publicKey) };
  }

  async publicKey(keyRef: string): Promise<Sm2PublicKey> {
    if (!KEY_REF.test(keyRef)) throw new Error('invalid key reference');
    const r = z.object({ publicKey: z.string() }).parse(await this.call('GET', `keys/${keyRef}`));
    return Sm2PublicKey.fromRaw(r.publicKey);
  }

  async signer(keyRef: string): Promise<Sm2Signer> {
    const publicKey = await this.publicKey(keyRef);
    return {
      publicKey,
      sign: async (data) => {
        const r = z
          .object({ signature: z.string() })
          .parse(await this.call('POST', `keys/${keyRef}/sign`, { data: Buffer.from(data).toString('base64') }));
        const sig = new Uint8Array(Buffer.from(r.signature, 'base64'));
        if (!publicKey.verify(data, sig)) throw new Error('signing server returned an invalid signature');
        return sig;
      },
    };
  }
}
