import { ENGINE_NAMES, type EngineName } from './engines/types.ts';
import type { BenchResult, FigureKey } from './result.ts';

const PANELS: { key: FigureKey; title: string }[] = [
  { key: 'replayMs', title: 'Replay time (ms)' },
  { key: 'docBytes', title: 'Document size (bytes)' },
  { key: 'parseMs', title: 'Parse time (ms)' },
  { key: 'memBytes', title: 'Memory after parse (bytes)' },
  { key: 'mergeMs', title: 'Merge time (ms)' },
];

const COLORS: Record<EngineName, string> = {
  converge: '#2b8a3e',
  yjs: '#e67700',
  'yjs-v2': '#f59f00',
  automerge: '#5f3dc4',
  'json-joy': '#1971c2',
  loro: '#c2255c',
  'gap-buffer': '#868e96',
};

const ROW = 14;
const LABEL = 230;
const BAR = 420;
const WIDTH = LABEL + BAR + 90;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Horizontal bar charts, one panel per figure, one group of bars per workload. Bars use a log
 * scale because engines differ by orders of magnitude; each bar is labelled with its value.
 */
export function svgChart(results: readonly BenchResult[]): string {
  const parts: string[] = [];
  let y = 20;
  const workloads = [...new Set(results.map((r) => r.workload))];
  for (const { key, title } of PANELS) {
    const rows = results.filter((r) => r.ok && r[key] !== undefined && (r[key] as number) > 0);
    if (rows.length === 0) continue;
    const values = rows.map((r) => r[key] as number);
    const lo = Math.log10(Math.min(...values)) - 0.3;
    const hi = Math.log10(Math.max(...values));
    const scale = (v: number) => (hi - lo <= 0 ? BAR : ((Math.log10(v) - lo) / (hi - lo)) * BAR);
    parts.push(
      `<text x="4" y="${y}" font-weight="bold" font-size="13">${escapeXml(title)} — log scale</text>`,
    );
    y += 8;
    for (const workload of workloads) {
      const group = rows.filter((r) => r.workload === workload);
      if (group.length === 0) continue;
      group.sort((a, b) => ENGINE_NAMES.indexOf(a.engine) - ENGINE_NAMES.indexOf(b.engine));
      y += 6;
      for (const r of group) {
        const v = r[key] as number;
        const width = Math.max(1, scale(v));
        parts.push(
          `<text x="${LABEL - 6}" y="${y + ROW - 4}" text-anchor="end" font-size="10">${escapeXml(`${workload} · ${r.engine}`)}</text>`,
          `<rect x="${LABEL}" y="${y + 2}" width="${width.toFixed(1)}" height="${ROW - 3}" fill="${COLORS[r.engine]}"/>`,
          `<text x="${(LABEL + width + 4).toFixed(1)}" y="${y + ROW - 4}" font-size="10">${escapeXml(
            Math.round(v).toLocaleString('en-US'),
          )}</text>`,
        );
        y += ROW;
      }
    }
    y += 24;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" font-family="sans-serif">`,
    '<title>Text CRDT benchmark: figures per workload and engine</title>',
    `<rect width="100%" height="100%" fill="white"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
