import type { Migration } from 'kysely';
import * as m0001 from './0001_foundation.js';

/**
 * The one migration set for PGlite and PostgreSQL, listed explicitly (no directory scan) so it runs the same from
 * src/ under tsx and from dist/. Names sort in application order; never rename or edit a released migration.
 */
export const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
};
