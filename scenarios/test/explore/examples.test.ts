/**
 * The minimal example of every kind the explorer knows (scenarios/examples/KIND.json, written by the
 * explorer): each replays with the runner and still shows its kind, and nothing else is wrong.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINES } from '@converge/replica';
import { describe, expect, it } from 'vitest';
import { evaluate, showing } from '../../src/explore/explorer.ts';
import { DIFFERENCE_KINDS, KIND_NAMES } from '../../src/explore/kinds.ts';
import { parseScenarioText } from '../../src/scenario.ts';

const dir = join(import.meta.dirname, '../../examples');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('the explorer’s shipped examples', () => {
  it('has one for every kind it knows', () => {
    expect(files.map((f) => f.replace(/\.json$/, '')).sort()).toEqual([...KIND_NAMES].sort());
  });

  it.each(files)('%s still shows its kind, in at most six steps', async (file) => {
    const kind = file.replace(/\.json$/, '') as (typeof KIND_NAMES)[number];
    const scenario = parseScenarioText(readFileSync(join(dir, file), 'utf8'));
    expect(scenario.steps.length).toBeLessThanOrEqual(6);
    const evaluation = await evaluate(scenario, ENGINES);
    expect('invalid' in evaluation ? evaluation.invalid : evaluation.bugs).toEqual([]);
    const shows = showing(evaluation, { kind });
    expect(shows.length).toBeGreaterThan(0);
    // The file says what it shows.
    expect(scenario.description).toContain(DIFFERENCE_KINDS[kind]);
  });
});
