#!/usr/bin/env node
import { CommanderError } from 'commander';
import { ExitCode, exitCodeFor, TunnelwatchError } from './errors.js';
import { buildProgram } from './program.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (or the help text).
    const shownOnRequest = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help';
    process.exitCode = shownOnRequest ? ExitCode.ok : ExitCode.usage;
  } else {
    if (error instanceof TunnelwatchError) process.stderr.write(`tunnelwatch: ${error.message}\n`);
    else process.stderr.write(`tunnelwatch: internal error: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = exitCodeFor(error);
  }
}
