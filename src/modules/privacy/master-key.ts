import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../../config.js';
import type { FieldCrypto } from '../context.js';
import { createFieldCrypto } from './field-crypto.js';

/**
 * Where the field-encryption master key comes from until the key store (src/crypto) provides `loadMasterKey`:
 * BDCERT_MASTER_KEY (64 hex digits, validated by the typed configuration) always wins; otherwise demo mode keeps a generated key in
 * `<DATA_DIR>/keys/field-master.key` (mode 0600); production without a configured key refuses to start, because data
 * encrypted under a key nobody kept could never be read again.
 */
export function loadFieldMasterKey(config: Pick<Config, 'mode' | 'dataDir' | 'ports'>): Buffer {
  const given = config.ports.masterKey?.reveal();
  if (given) return Buffer.from(given, 'hex');
  const file = join(config.dataDir, 'keys', 'field-master.key');
  if (existsSync(file)) {
    const hex = readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`${file}: not a 256-bit hex key`);
    return Buffer.from(hex, 'hex');
  }
  if (config.mode === 'production')
    throw new Error(
      '生产模式须配置主密钥 BDCERT_MASTER_KEY（64 位十六进制）/ production needs BDCERT_MASTER_KEY (64 hex digits)',
    );
  const key = randomBytes(32);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return key;
}

export function openFieldCrypto(config: Pick<Config, 'mode' | 'dataDir' | 'ports'>): FieldCrypto {
  return createFieldCrypto(loadFieldMasterKey(config));
}
