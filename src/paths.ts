import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root (where package.json is), found from this file whether it runs from src/ (tsx) or dist/src/ (built).
 * Non-code assets (fonts, data tables, web/dist) are resolved from here, never from the current directory.
 */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('bdcert: package root not found');
}

export const PACKAGE_ROOT = findRoot();
export const assetPath = (...parts: string[]): string => join(PACKAGE_ROOT, ...parts);
