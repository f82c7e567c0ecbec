#!/usr/bin/env node
import { exitCodeFor, TunnelwatchError } from './errors.js';
import { buildProgram } from './program.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof TunnelwatchError) process.stderr.write(`tunnelwatch: ${error.message}\n`);
  else process.stderr.write(`tunnelwatch: internal error: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = exitCodeFor(error);
}
