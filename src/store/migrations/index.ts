import type { Migration } from 'kysely';
import * as m0001 from './0001_foundation.js';
import * as m0002 from './0002_catalog.js';
import * as m0003 from './0003_identity.js';
import * as m0004 from './0004_audit.js';
import * as m0005 from './0005_register.js';
import * as m0006 from './0006_sync.js';
import * as m0007 from './0007_audit_roles.js';
import * as m0008 from './0008_trust.js';
import * as m0009 from './0009_imports.js';

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
  '0006_sync': m0006,
  '0007_audit_roles': m0007,
  '0008_trust': m0008,
  '0009_imports': m0009,
};
