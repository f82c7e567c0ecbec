/**
 * Expected failures, each with a stable code that callers (and the CLI's exit
 * status) switch on. Unexpected failures stay ordinary exceptions.
 */
export const ErrorCodes = {
  TW_CONFIG: 'invalid configuration',
  TW_USAGE: 'invalid command-line usage',
  TW_INPUT: 'an input could not be opened or read',
  TW_OUTPUT: 'an output could not be written',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class TunnelwatchError extends Error {
  constructor(readonly code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TunnelwatchError';
  }
}

/** Exit statuses, documented in the README and `--help`. */
export const ExitCode = {
  ok: 0,
  /** Unexpected internal error. */
  internal: 1,
  usage: 2,
  config: 3,
  input: 4,
  output: 5,
} as const;

export function exitCodeFor(error: unknown): number {
  if (!(error instanceof TunnelwatchError)) return ExitCode.internal;
  switch (error.code) {
    case 'TW_USAGE':
      return ExitCode.usage;
    case 'TW_CONFIG':
      return ExitCode.config;
    case 'TW_INPUT':
      return ExitCode.input;
    case 'TW_OUTPUT':
      return ExitCode.output;
  }
}
