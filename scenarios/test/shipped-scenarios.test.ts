import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../src/scenario.ts';

const dir = join(import.meta.dirname, '..');
const files = readdirSync(dir).filter(
  (f) => f.endsWith('.json') && !['package.json', 'tsconfig.json'].includes(f),
);

describe('shipped scenarios', () => {
  it('ships the classic cases', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
  });
  it.each(files)('%s is a valid scenario', (file) => {
    const scenario = parseScenarioText(readFileSync(join(dir, file), 'utf8'));
    expect(scenario.steps.length).toBeGreaterThan(0);
  });
});
