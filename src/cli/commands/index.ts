import type { Command } from 'commander';
import { register as audit } from './audit.js';
import { register as backup } from './backup.js';
import { register as check } from './check.js';
import { register as credentials } from './credentials.js';
import { register as importEntries } from './import-entries.js';
import { register as importStock } from './import-stock.js';
import { register as migrate } from './migrate.js';
import { register as render } from './render.js';
import { register as seals } from './seals.js';
import { register as start } from './start.js';
import { register as sync } from './sync.js';
import { register as trust } from './trust.js';
import { register as users } from './users.js';
import { register as validate } from './validate.js';
import { register as verify } from './verify.js';

/** Each command file exports one `register(program)`; add new commands to this list. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  start,
  migrate,
  audit,
  backup,
  users,
  check,
  validate,
  render,
  verify,
  importStock,
  importEntries,
  trust,
  credentials,
  seals,
  sync,
];
