/**
 * Where the pages' and workers' time went in a Chrome trace of bench:app's typing phase, per thread:
 * self time by trace event (style, layout, paint, scripts), the layouts scripts forced (with the
 * stack that forced them), and V8's samples by library (React, CodeMirror, else the frame's source).
 * The bundle's source maps name the libraries; `npm run bench:app` builds without them, so:
 *   npx vite build --config vite.web.config.ts --minify false --sourcemap
 *   npx tsx e2e/bench/app-bench-cli.ts --sizes 150000 --chrome-trace /tmp/trace.json
 *   npx tsx e2e/bench/trace-summary.ts /tmp/trace.json [--assets out/web/assets] [--top 14]
 * Tracing costs CPU: compare shares between traces, not the absolute figures with bench:app's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  id?: string;
  cat?: string;
  args?: Record<string, unknown>;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { assets: { type: 'string' }, top: { type: 'string' } },
});
const file = positionals[0];
if (file === undefined) throw new Error('usage: trace-summary FILE');
const assets = resolve(values.assets ?? 'out/web/assets');
const top = Number(values.top ?? '14');
const raw = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents?: TraceEvent[] } | TraceEvent[];
const events = Array.isArray(raw) ? raw : (raw.traceEvents ?? []);

const threadNames = new Map<string, string>();
const key = (pid: number, tid: number): string => `${pid}:${tid}`;
for (const e of events)
  if (e.ph === 'M' && e.name === 'thread_name') threadNames.set(key(e.pid, e.tid), String(e.args?.name));
// Which page a renderer process shows (?replica=a…), from the frames the browser reported.
const pageOfPid = new Map<number, string>();
for (const e of events) {
  const data = e.args?.data as { frames?: { url?: string; processId?: number }[] } | undefined;
  for (const frame of data?.frames ?? [])
    if (frame.processId !== undefined && frame.url?.includes('replica='))
      pageOfPid.set(frame.processId, new URL(frame.url).searchParams.get('replica') ?? '?');
  if (e.name === 'FrameCommittedInBrowser' || e.name === 'CommitLoad') {
    const d = e.args?.data as { url?: string; processId?: number } | undefined;
    if (d?.url?.includes('replica='))
      pageOfPid.set(d.processId ?? e.pid, new URL(d.url).searchParams.get('replica') ?? '?');
  }
}

// Source maps of the bundle: a frame's original file.
const maps = new Map<string, SourceMap | null>();
function sourceOf(url: string | undefined, line = 0, column = 0): string {
  if (url === undefined) return '(native)';
  if (!url.includes('/assets/')) return url === '' ? '(native)' : basename(url);
  const name = basename(new URL(url).pathname);
  let map = maps.get(name);
  if (map === undefined) {
    const path = join(assets, `${name}.map`);
    map = existsSync(path) ? readSourceMap(readFileSync(path, 'utf8')) : null;
    maps.set(name, map);
  }
  if (map === null) return name;
  const source = map.sourceAt(line, column) ?? name;
  const nm = source.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = source.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? source);
  }
  const at = source.indexOf('src/');
  return at >= 0 ? source.slice(at) : source;
}

interface SourceMap {
  /** The original file of a generated position (0-based line and column). */
  sourceAt(line: number, column: number): string | undefined;
}

/** A source map's `mappings` decoded to each line's segments (generated column, source index). */
function readSourceMap(json: string): SourceMap {
  const { sources, mappings } = JSON.parse(json) as { sources: string[]; mappings: string };
  const lines: [number, number][][] = [];
  let source = 0;
  for (const text of mappings.split(';')) {
    const segments: [number, number][] = [];
    let column = 0;
    for (const segment of text.split(',')) {
      if (segment === '') continue;
      const fields = decodeVlq(segment);
      column += fields[0] ?? 0;
      if (fields.length >= 4) source += fields[1] ?? 0;
      // (original line and column and names are not needed: only the file)
      segments.push([column, source]);
    }
    lines.push(segments);
  }
  return {
    sourceAt(line, column) {
      const segments = lines[line] ?? [];
      let found: number | undefined;
      for (const [start, index] of segments) {
        if (start > column) break;
        found = index;
      }
      return found === undefined ? undefined : sources[found];
    },
  };
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function decodeVlq(segment: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

function getOr<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

// 1. Trace events: self time by name per thread, and layouts forced by scripts.
const SCRIPT = new Set([
  'FunctionCall',
  'EventDispatch',
  'FireAnimationFrame',
  'TimerFire',
  'RunMicrotasks',
  'v8.callFunction',
  'EvaluateScript',
  'v8.run',
  'FireIdleCallback',
]);
interface ThreadStats {
  self: Map<string, number>;
  forced: Map<string, { n: number; ms: number }>;
  busy: number;
}
const stats = new Map<string, ThreadStats>();
const byThread = new Map<string, TraceEvent[]>();
for (const e of events) {
  if (e.ph !== 'X' || e.dur === undefined) continue;
  const k = key(e.pid, e.tid);
  const name = threadNames.get(k);
  if (name !== 'CrRendererMain' && name !== 'DedicatedWorker thread') continue;
  getOr(byThread, k, () => []).push(e);
}
for (const [k, list] of byThread) {
  list.sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
  const s: ThreadStats = { self: new Map(), forced: new Map(), busy: 0 };
  stats.set(k, s);
  const stack: { e: TraceEvent; end: number; child: number }[] = [];
  const close = (until: number): void => {
    while (stack.length > 0 && (stack.at(-1)?.end ?? 0) <= until) {
      const done = stack.pop();
      if (done === undefined) break;
      const self = (done.e.dur ?? 0) - done.child;
      s.self.set(done.e.name, (s.self.get(done.e.name) ?? 0) + self / 1000);
    }
  };
  for (const e of list) {
    close(e.ts);
    const parent = stack.at(-1);
    if (parent !== undefined) parent.child += e.dur ?? 0;
    else s.busy += (e.dur ?? 0) / 1000;
    if ((e.name === 'Layout' || e.name === 'UpdateLayoutTree') && stack.some((f) => SCRIPT.has(f.e.name))) {
      const data = (e.args?.beginData ?? e.args?.data) as
        | { stackTrace?: { functionName: string; url: string; lineNumber: number; columnNumber: number }[] }
        | undefined;
      const frames = (data?.stackTrace ?? [])
        .slice(0, 4)
        .map((f) => `${f.functionName || '(anon)'}@${sourceOf(f.url, f.lineNumber - 1, f.columnNumber - 1)}`);
      const where = `${e.name} ← ${frames.join(' ← ') || '(no stack)'}`;
      const f = s.forced.get(where) ?? { n: 0, ms: 0 };
      f.n++;
      f.ms += (e.dur ?? 0) / 1000;
      s.forced.set(where, f);
    }
    stack.push({ e, end: e.ts + (e.dur ?? 0), child: 0 });
  }
  close(Number.POSITIVE_INFINITY);
}

// 2. V8's samples: JavaScript by library (the innermost of React, CodeMirror; else the leaf's source).
interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  parent?: number;
}
const profileThread = new Map<string, string>();
for (const e of events)
  if (e.name === 'Profile' && e.id !== undefined) profileThread.set(`${e.pid}:${e.id}`, key(e.pid, e.tid));
const nodes = new Map<string, Map<number, Node & { source: string }>>();
const js = new Map<string, Map<string, number>>();
const jsFns = new Map<string, Map<string, number>>();
for (const e of events) {
  if (e.name !== 'ProfileChunk' || e.id === undefined) continue;
  const thread = profileThread.get(`${e.pid}:${e.id}`) ?? key(e.pid, e.tid);
  const data = e.args?.data as {
    cpuProfile?: { nodes?: Node[]; samples?: number[] };
    timeDeltas?: number[];
  };
  const known = getOr(nodes, `${e.pid}:${e.id}`, () => new Map());
  for (const n of data.cpuProfile?.nodes ?? [])
    known.set(n.id, {
      ...n,
      source: sourceOf(n.callFrame.url, n.callFrame.lineNumber, n.callFrame.columnNumber),
    });
  const samples = data.cpuProfile?.samples ?? [];
  const deltas = data.timeDeltas ?? [];
  const by = getOr(js, thread, () => new Map());
  const fns = getOr(jsFns, thread, () => new Map());
  for (let i = 0; i < samples.length; i++) {
    // A sample's time is the gap to the next one; the last uses the chunk's previous gap.
    const ms = (deltas[i + 1] ?? deltas[i] ?? 0) / 1000;
    let node = known.get(samples[i] ?? -1);
    const leaf = node;
    let bucket: string | undefined;
    const chain: string[] = [];
    while (node !== undefined) {
      if (bucket === undefined && node.source === 'react-dom') bucket = 'React';
      else if (bucket === undefined && node.source.startsWith('@codemirror/')) bucket = 'CodeMirror';
      if (chain.length < 3 && node.source.startsWith('src/'))
        chain.push(`${node.callFrame.functionName}@${basename(node.source)}`);
      node = node.parent === undefined ? undefined : known.get(node.parent);
    }
    if (leaf === undefined) continue;
    const name = leaf.callFrame.functionName;
    bucket ??= name.startsWith('(') ? name : leaf.source;
    by.set(bucket, (by.get(bucket) ?? 0) + ms);
    if (bucket === 'React') {
      // Which of our components (or hooks) the React sample ran under, if any.
      let n = leaf as typeof leaf | undefined;
      let component = '(commit or scheduler)';
      while (n !== undefined) {
        if (n.source.startsWith('src/')) {
          component = `${n.callFrame.functionName}@${basename(n.source)}`;
          break;
        }
        n = n.parent === undefined ? undefined : known.get(n.parent);
      }
      const fn = `React under ${component}`;
      fns.set(fn, (fns.get(fn) ?? 0) + ms);
    }
    if (!name.startsWith('(')) {
      const fn = `${bucket}: ${name || '(anon)'}@${leaf.source}${chain.length > 0 ? ` ← ${chain.join(' ← ')}` : ''}`;
      fns.set(fn, (fns.get(fn) ?? 0) + ms);
    }
  }
}

const fmt = (n: number): string => n.toFixed(0).padStart(6);
const sorted = [...stats.keys()].sort((a, b) => {
  const pa = pageOfPid.get(Number(a.split(':')[0])) ?? '?';
  const pb = pageOfPid.get(Number(b.split(':')[0])) ?? '?';
  return pa.localeCompare(pb) || (threadNames.get(a) ?? '').localeCompare(threadNames.get(b) ?? '');
});
for (const k of sorted) {
  const s = stats.get(k);
  if (s === undefined || s.busy < 50) continue;
  const page = pageOfPid.get(Number(k.split(':')[0])) ?? '?';
  console.log(`\n## page ${page}, ${threadNames.get(k)} (${k}): busy ${s.busy.toFixed(0)} ms`);
  console.log('self time by trace event:');
  for (const [name, ms] of [...s.self].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`  ${fmt(ms)}  ${name}`);
  const forced = [...s.forced].sort((a, b) => b[1].ms - a[1].ms);
  const total = forced.reduce((t, [, f]) => ({ n: t.n + f.n, ms: t.ms + f.ms }), { n: 0, ms: 0 });
  console.log(`forced style/layout inside scripts: ${total.n}, ${total.ms.toFixed(0)} ms`);
  for (const [where, f] of forced.slice(0, 8))
    console.log(`  ${fmt(f.ms)} ms ${String(f.n).padStart(5)}×  ${where}`);
  const by = js.get(k);
  if (by !== undefined) {
    console.log('JavaScript samples by library:');
    for (const [name, ms] of [...by].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(`  ${fmt(ms)}  ${name}`);
    console.log('hottest functions:');
    for (const [name, ms] of [...(jsFns.get(k) ?? [])].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(`  ${fmt(ms)}  ${name}`);
  }
}
