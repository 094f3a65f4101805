import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Content-addressed file store (DESIGN.md "Storage"): a file's name is the SM3 of its bytes, so a file is written
 * once, never changed, and any copy can be checked against its name. Filesystem by default; an S3-compatible store
 * implements the same interface when several instances share files.
 */
export interface BlobStore {
  /**
   * Stores the bytes (idempotent) and returns their SM3 hex digest. `sm3` may pass the digest when the producer has
   * just computed it from these very bytes (the render workers do, off the main thread); `get` still checks it.
   */
  put(bytes: Uint8Array, sm3?: string): Promise<string>;
  /** The bytes, or undefined when absent. Throws if the stored bytes no longer match their digest. */
  get(sm3Hex: string): Promise<Uint8Array | undefined>;
  has(sm3Hex: string): Promise<boolean>;
}

const HEX64 = /^[0-9a-f]{64}$/;
const FILE_MODE = 0o640;

/** A temporary name beside the final one, unique per process and call (render workers share the store). */
function tmpName(p: string): string {
  return `${p}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

/** The directory went away since it was made (a restore replaced the store): the caller makes it again, once. */
function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === 'ENOENT';
}

export function sm3Hex(bytes: Uint8Array): string {
  return createHash('sm3').update(bytes).digest('hex');
}

export class FsBlobStore implements BlobStore {
  /** Directories this store has made or found: a put into one of them skips the mkdir. */
  private readonly dirs = new Set<string>();

  constructor(readonly root: string) {}

  private pathOf(hash: string): string {
    if (!HEX64.test(hash)) throw new Error(`invalid blob id: ${hash}`);
    return join(this.root, hash.slice(0, 2), hash.slice(2, 4), hash);
  }

  async put(bytes: Uint8Array, sm3?: string): Promise<string> {
    const hash = sm3 ?? sm3Hex(bytes);
    const p = this.pathOf(hash);
    if (await this.has(hash)) return hash;
    const dir = dirname(p);
    if (!this.dirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.dirs.add(dir);
    }
    // Write then rename: a crash never leaves a half-written file under the final name.
    const tmp = tmpName(p);
    try {
      await writeFile(tmp, bytes, { mode: FILE_MODE });
    } catch (e) {
      if (!isMissing(e)) throw e;
      await mkdir(dir, { recursive: true });
      await writeFile(tmp, bytes, { mode: FILE_MODE });
    }
    await rename(tmp, p);
    return hash;
  }

  /**
   * `put` with synchronous file calls, for a thread that has nothing else to do meanwhile — a render worker, never
   * the event loop of a server. Each async call is a round trip to libuv's threadpool: a 160 KB file measured
   * 470–580 µs of CPU through fs/promises against 180–225 µs with the synchronous calls (2,000 files, one machine),
   * and a sealed certificate writes two.
   */
  putSync(bytes: Uint8Array, sm3?: string): string {
    const hash = sm3 ?? sm3Hex(bytes);
    const p = this.pathOf(hash);
    if (statSync(p, { throwIfNoEntry: false })) return hash;
    const dir = dirname(p);
    if (!this.dirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.dirs.add(dir);
    }
    const tmp = tmpName(p);
    try {
      writeFileSync(tmp, bytes, { mode: FILE_MODE });
    } catch (e) {
      if (!isMissing(e)) throw e;
      mkdirSync(dir, { recursive: true });
      writeFileSync(tmp, bytes, { mode: FILE_MODE });
    }
    renameSync(tmp, p);
    return hash;
  }

  async get(hash: string): Promise<Uint8Array | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.pathOf(hash));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    if (sm3Hex(bytes) !== hash) throw new Error(`blob ${hash} is corrupt (SM3 mismatch)`);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async has(hash: string): Promise<boolean> {
    try {
      await stat(this.pathOf(hash));
      return true;
    } catch {
      return false;
    }
  }
}
