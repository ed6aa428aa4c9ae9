/**
 * CPU time of this process and every process it started (Chromium's browser, renderers and GPU process
 * with their threads; the relay runs in this process), from Linux's /proc: what a benchmark's phase costs
 * the machine, whatever the load around it. null where /proc is not there.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Linux reports utime and stime in clock ticks of USER_HZ, 100 on every mainstream architecture. */
const MS_PER_TICK = 10;

/** ms of CPU (user + system) used so far by `root` and its descendants; null without /proc. */
export function treeCpuMs(root: number = process.pid): number | null {
  if (!existsSync('/proc/self/stat')) return null;
  const stats = new Map<number, { parent: number; ms: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat !== undefined) stats.set(Number(entry), stat);
  }
  const children = new Map<number, number[]>();
  for (const [pid, { parent }] of stats) children.set(parent, [...(children.get(parent) ?? []), pid]);
  let total = 0;
  const pending = [root];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    total += stats.get(pid)?.ms ?? 0;
    pending.push(...(children.get(pid) ?? []));
  }
  return total;
}

/** Parent pid and CPU ms of one process, or undefined when it is gone or unreadable. */
function readStat(pid: string): { parent: number; ms: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: the fields after it follow the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const parent = Number(fields[1]);
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(parent) && Number.isFinite(ticks)
      ? { parent, ms: ticks * MS_PER_TICK }
      : undefined;
  } catch {
    return undefined;
  }
}
