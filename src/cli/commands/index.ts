import type { Command } from 'commander';

/** Each command file exports one `register(program)`; add new commands to this list. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [];
