// Where a process's CPU goes, by thread: a snapshot of every thread's user
// and system CPU seconds from /proc/<pid>/task/*/stat, grouped by thread
// name with the trailing numbers removed ("MutationStage-12" and
// "MutationStage-3" are one group). Two snapshots give each group's share of
// the process's CPU over the interval: for Cassandra, how much went to
// request handling, the commit log, compaction or garbage collection. This is
// a profile by thread pool, taken from the kernel's own accounting, so it
// costs the measured process nothing.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ

/** `"MutationStage-12"` → `"MutationStage"`, `"GC Thread#1"` → `"GC Thread"`. */
export function threadGroup(name) {
  const trimmed = name
    .replace(/[-:#_ ]?\d+$/, '')
    .replace(/[-:#_ ]+$/, '')
    .trim();
  return trimmed || name;
}

/** `{ [tid]: { name, userS, systemS } }` for every thread of `pid` (empty when it is gone). */
export function readThreads(pid) {
  const out = {};
  let tids = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out[tid] = { name, userS: Number(fields[11]) / TICKS_PER_SECOND, systemS: Number(fields[12]) / TICKS_PER_SECOND };
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/**
 * Samples the threads of `pid` every `intervalMs` and adds each thread's CPU
 * since the last sample to the group of the name it has now. Short intervals
 * matter: Cassandra's shared worker threads rename themselves after the
 * stage they serve at the moment. Threads that started between two samples
 * count from zero; the time of threads that ended between two samples is
 * lost (the kernel folds it into the process).
 */
export class ThreadSampler {
  constructor(pid, { intervalMs = 250 } = {}) {
    this.pid = pid;
    this.last = readThreads(pid);
    /** @type {Map<string, { group: string, tids: Set<string>, userS: number, systemS: number }>} */
    this.groups = new Map();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample() {
    const now = readThreads(this.pid);
    for (const [tid, t] of Object.entries(now)) {
      const b = this.last[tid] ?? { userS: 0, systemS: 0 };
      const du = Math.max(0, t.userS - b.userS);
      const ds = Math.max(0, t.systemS - b.systemS);
      if (du + ds === 0) continue;
      const key = threadGroup(t.name);
      const g = this.groups.get(key) ?? { group: key, tids: new Set(), userS: 0, systemS: 0 };
      g.tids.add(tid);
      g.userS += du;
      g.systemS += ds;
      this.groups.set(key, g);
    }
    if (Object.keys(now).length > 0) this.last = now;
  }

  /** Stops sampling and returns `threadCpuSummary` of what it saw. */
  stop(options) {
    clearInterval(this.timer);
    this.sample();
    return threadCpuSummary(
      [...this.groups.values()].map((g) => ({ group: g.group, threads: g.tids.size, userS: g.userS, systemS: g.systemS })),
      options,
    );
  }
}

/** CPU seconds per thread group, largest first, each with its share of the total. */
export function threadCpuSummary(groups, { top = 12 } = {}) {
  const userS = groups.reduce((n, g) => n + g.userS, 0);
  const systemS = groups.reduce((n, g) => n + g.systemS, 0);
  const total = userS + systemS;
  const round = (n) => Number(n.toFixed(2));
  const rows = groups
    .map((g) => ({
      ...g,
      cpuS: round(g.userS + g.systemS),
      userS: round(g.userS),
      systemS: round(g.systemS),
      share: total ? round((g.userS + g.systemS) / total) : 0,
    }))
    .sort((a, b) => b.cpuS - a.cpuS);
  const shown = rows.slice(0, top);
  const rest = rows.slice(top);
  if (rest.length > 0) {
    const cpuS = rest.reduce((n, r) => n + r.cpuS, 0);
    shown.push({
      group: `(${rest.length} other groups)`,
      threads: rest.reduce((n, r) => n + r.threads, 0),
      cpuS: round(cpuS),
      userS: 0,
      systemS: 0,
      share: total ? round(cpuS / total) : 0,
    });
  }
  return { cpuS: round(total), userS: round(userS), systemS: round(systemS), groups: shown };
}

/** A Markdown table of a `threadCpuDelta` result. */
export function threadTable(delta) {
  const lines = ['| thread group | threads | CPU-s | user / system | share |', '| --- | --- | --- | --- | --- |'];
  for (const g of delta.groups) {
    lines.push(`| ${g.group} | ${g.threads} | ${g.cpuS} | ${g.userS} / ${g.systemS} | ${Math.round(g.share * 100)} % |`);
  }
  lines.push(`| **all** | | **${delta.cpuS}** | ${delta.userS} / ${delta.systemS} | 100 % |`);
  return lines.join('\n');
}
