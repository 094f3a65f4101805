import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import type { BlobStore } from '../store/blobs.js';
import type { Store } from '../store/database.js';

/**
 * Field encryption at rest (Huangchuan 5.2: encrypted storage; issue 7 §7): names and ID numbers are stored
 * SM4-encrypted, with a keyed SM3 hash beside them for exact lookup. Keys derive from the master key.
 */
export interface FieldCrypto {
  /** Authenticated SM4 encryption; the output is a self-describing string safe for a text column. */
  encrypt(plain: string): string;
  decrypt(cipher: string): string;
  /** Keyed SM3 (HMAC-SM3) hex of a normalised value: equal inputs give equal outputs, nothing else leaks. */
  index(plain: string): string;
}

/**
 * What every application service gets: configuration, the database, the file store, field encryption, a clock
 * (injectable for tests and golden files) and a logger. Contexts add their own ports in their services.
 */
export interface ServiceContext {
  readonly config: Config;
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly fieldCrypto: FieldCrypto;
  readonly now: () => Date;
  readonly log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error' | 'debug'>;
}
