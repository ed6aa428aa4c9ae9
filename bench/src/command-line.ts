import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { type SequentialTraceRequestOk, sequentialTraceRequest } from './traces.ts';

/** A bench command's options as parseArgs reads them (strings and booleans; `help` always there). */
export type CommandValues = Record<string, string | boolean | undefined>;

/**
 * Read a bench command's options (strict, no positionals, `-h`/`--help` added). Returns the values, or
 * the exit code when the command should stop here: 2 after printing what is wrong and `usage`, 0 after
 * printing `usage` for --help.
 */
export function readCommandLine(usage: string, options: ParseArgsOptionsConfig): CommandValues | number {
  let values: CommandValues;
  try {
    ({ values } = parseArgs({
      strict: true,
      allowPositionals: false,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage}\n`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  return values;
}

/** A string option's value (parseArgs gives booleans only for boolean options). */
export function stringOption(values: CommandValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** Run a command's `main`: its code becomes the exit code; a throw is printed (with its stack) and exits 1. */
export function runCommand(main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

/**
 * `--trace FILE` and `--runs N` as a sequential trace request; a bad one is said on stderr (with the
 * usage text when that helps) and becomes exit code 2.
 */
export function traceRunsOrExit(values: CommandValues, usage: string): SequentialTraceRequestOk | number {
  const request = sequentialTraceRequest(stringOption(values, 'trace'), {
    flag: '--runs',
    value: stringOption(values, 'runs'),
  });
  if (request.ok) return request;
  process.stderr.write(request.showUsage ? `${request.message}\n\n${usage}\n` : `${request.message}\n`);
  return 2;
}
