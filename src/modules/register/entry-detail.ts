import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { FieldCrypto } from '../context.js';
import { maskIdNumber, maskName } from '../privacy/mask.js';
import { findEntryWithParts } from './repository.js';
import type { CertificateTable, RegisterEntryTable, RestrictionTable, RightTable, UnitTable } from './tables.js';

/**
 * One register entry as its agency's staff see it (GET /api/v1/register/entries/:id): the entry, its unit, the rights
 * and restrictions it recorded (holders decrypted and masked: names and ID numbers), and the certificates it produced.
 * The rows come from repository.ts (findEntryWithParts); this file only shapes them for staff.
 */
export interface EntryDetail {
  readonly entry: Selectable<RegisterEntryTable>;
  readonly unit: Selectable<UnitTable> | undefined;
  readonly rights: readonly (Omit<Selectable<RightTable>, 'holders_enc' | 'holder_keys'> & {
    readonly holders: readonly { name: string; idType: string; idNumber: string }[];
  })[];
  readonly restrictions: readonly Omit<Selectable<RestrictionTable>, 'details_enc'>[];
  readonly certificates: readonly Selectable<CertificateTable>[];
}

export async function findEntryDetail(
  db: Kysely<Database>,
  fieldCrypto: FieldCrypto,
  entryId: string,
): Promise<EntryDetail | undefined> {
  const found = await findEntryWithParts(db, entryId);
  if (!found) return undefined;
  const { entry, unit, rights, restrictions, certificates } = found;
  return {
    entry,
    unit,
    rights: rights.map(({ holders_enc, holder_keys: _k, ...r }) => ({
      ...r,
      holders: (
        JSON.parse(fieldCrypto.decrypt(holders_enc)) as { name: string; idType: string; idNumber: string }[]
      ).map((h) => ({
        name: maskName(h.name),
        idType: h.idType,
        idNumber: h.idNumber ? maskIdNumber(h.idNumber) : '',
      })),
    })),
    restrictions,
    certificates,
  };
}
