// The snapshot decoder's functions are compiled as their modules load, not on a document's first
// decode: each is a parenthesized function expression, which V8 compiles eagerly (a formatter that
// drops the parentheses would undo it silently; the bench README's "friendsforever merge, seventh
// pass" has the figures). Read from V8's log of function events for a process that only imports
// the package.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runNode } from './support/node-run.ts';

const EAGER = [
  'decodeSnapshot',
  'readSnapshot',
  'countersFromRanks',
  'readKnowledge',
  'readExceptions',
  'acyclic',
  'imageHolds',
  'readIntStream',
  'readTextStream',
  'decodeUnits',
  'readCodeLengths',
  'decodeTable',
  'canonicalCodes',
];

it('compiles the snapshot decoder as the package loads', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'eager-compile-'));
  try {
    const log = join(dir, 'v8.log');
    const entry = join(import.meta.dirname, '../src/index.ts');
    const result = await runNode(
      ['--log-function-events', `--logfile=${log}`, '--no-logfile-per-isolate', '--import', 'tsx', entry],
      { cwd: import.meta.dirname },
    );
    expect(result).toEqual({ code: 0, output: '' });
    // Lines `function,<event>,<script>,<start>,<end>,<time>,<timestamp>,<name>`; a function
    // compiled to bytecode has an `interpreter` event, one left lazy only preparse events.
    const compiled = new Set<string>();
    for (const line of readFileSync(log, 'utf8').split('\n')) {
      const fields = line.split(',');
      // tsx's compiler renames a function expression named as its constant (`name2`).
      if (fields[0] === 'function' && fields[1] === 'interpreter')
        compiled.add((fields[7] as string).replace(/\d+$/, ''));
    }
    expect(EAGER.filter((name) => !compiled.has(name))).toEqual([]);
    // A function of the same modules that is not parenthesized stays lazy (the log shows it).
    expect(compiled.has('writeIntStream')).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
