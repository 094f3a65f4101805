import { openConfiguredStore } from '../app.js';
import { type Config, ConfigError, loadConfig } from '../config.js';
import { DomainError } from '../domain/problem.js';
import type { AuditActor } from '../modules/audit/audit.js';
import * as catalogRepo from '../modules/catalog/repository.js';
import type { CatalogDeps } from '../modules/catalog/service.js';
import { createServices } from '../modules/services.js';
import type { Store } from '../store/database.js';
import { migrateToLatest } from '../store/migrate.js';

/**
 * Shared plumbing of the trust-store, credential and seal commands (`bdcert trust|credentials|seals`): the configured
 * database and the catalog services of the configured mode (production: no development CA), one actor for the audit
 * log, and refusals printed in both languages with their code (exit 1; configuration errors exit 2).
 */
export const CLI_ACTOR: AuditActor = { kind: 'system', id: 'cli' };

export async function withCatalog<T>(fn: (deps: CatalogDeps, store: Store, config: Config) => Promise<T>): Promise<T> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const store = await openConfiguredStore(config);
  try {
    await migrateToLatest(store.db);
    const services = await createServices(config, store);
    return await fn(services.catalog, store, config);
  } catch (e) {
    if (e instanceof DomainError) {
      console.error(`${e.code}${e.field ? ` (${e.field})` : ''}: ${e.message} / ${e.messageEn}`);
      process.exit(1);
    }
    throw e;
  } finally {
    await store.close();
  }
}

/** An agency by id, 统一社会信用代码 or 行政区划代码. */
export async function resolveAgency(store: Store, ref: string): Promise<catalogRepo.AgencyRow> {
  const byId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref)
    ? await catalogRepo.findAgency(store.db, ref)
    : undefined;
  const a =
    byId ??
    (await catalogRepo.findAgencyByUscc(store.db, ref)) ??
    (await catalogRepo.listAgencies(store.db)).find((x) => x.region_code === ref);
  if (!a)
    throw new DomainError(
      'AGENCY_NOT_FOUND',
      `登记机构不存在：${ref}`,
      `no agency with id, USCC or region code "${ref}"`,
      'agency',
    );
  return a;
}

export function printJsonOr(json: boolean | undefined, value: unknown, lines: () => string[]): void {
  if (json) console.log(JSON.stringify(value, null, 2));
  else for (const l of lines()) console.log(l);
}
