#!/usr/bin/env node
import { Command } from 'commander';
import { commands } from './commands/index.js';

/** `bdcert` — one binary for every role; each sub-command lives in its own file under ./commands. */
const program = new Command('bdcert')
  .description('bdcert 不动产登记电子证照平台 — real-estate registration e-certificates')
  .showHelpAfterError();

for (const register of commands) register(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
