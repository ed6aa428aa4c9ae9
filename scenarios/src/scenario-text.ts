/**
 * A scenario file as people write them: the header fields one per line, then one step per line, in the
 * layout the repository's formatter keeps (`{ "key": value }`).
 */
import type { ScenarioFile } from './scenario.ts';

export function scenarioFileText(file: ScenarioFile): string {
  const { steps, ...header } = file;
  const lines = Object.entries(header)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `  ${JSON.stringify(key)}: ${inline(value)},`);
  const stepLines = steps.map((step, i) => `    ${inline(step)}${i < steps.length - 1 ? ',' : ''}`);
  return ['{', ...lines, '  "steps": [', ...stepLines, '  ]', '}', ''].join('\n');
}

/** JSON on one line, spaced: `{ "a": 1, "b": ["x", "y"] }`. */
function inline(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inline).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    return `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${inline(v)}`).join(', ')} }`;
  }
  return JSON.stringify(value);
}
