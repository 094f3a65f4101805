import type { Command } from 'commander';
import { register as migrate } from './migrate.js';
import { register as start } from './start.js';

/** Each command file exports one `register(program)`; add new commands to this list. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [start, migrate];
