import type { Migration } from 'kysely';
import * as m0001 from './0001_foundation.js';
import * as m0002 from './0002_catalog.js';
import * as m0003 from './0003_identity.js';
import * as m0004 from './0004_audit.js';
import * as m0005 from './0005_register.js';

/**
 * The one migration set for PGlite and PostgreSQL, listed explicitly (no directory scan) so it runs the same from
 * src/ under tsx and from dist/. Names sort in application order; never rename or edit a released migration.
 */
export const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_catalog': m0002,
  '0003_identity': m0003,
  '0004_audit': m0004,
  '0005_register': m0005,
};
