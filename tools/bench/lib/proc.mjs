// Resource readings from /proc (Linux): a process's CPU seconds (utime +
// stime) and memory (VmRSS, VmHWM = peak RSS), and the whole machine's CPU
// time, so a benchmark can say who used the cores while it ran.
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux we run on (getconf CLK_TCK)

/** `{ cpuS, rssMb, hwmMb, threads }` of `pid`, or undefined when it is gone. */
export function readProcess(pid) {
  if (!pid) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces: parse after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of the whole line (utime, stime) are 11 and 12 after the name.
    const cpuS = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) : 0;
    };
    const threads = Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    return { cpuS, rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024, threads };
  } catch {
    return undefined;
  }
}

/** Total and idle CPU seconds of the machine since boot (all cores). */
export function readMachineCpu() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const idle = v[3] + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { totalS: total / TICKS_PER_SECOND, idleS: idle / TICKS_PER_SECOND };
}

/**
 * Samples named processes every `intervalMs`: CPU seconds used since the
 * sampler started (per process and the machine), current and peak RSS.
 * `stop()` returns the summary; `samples` keeps the series for charts.
 */
export class ProcessSampler {
  /** @param {Record<string, number|undefined>} pids name -> pid */
  constructor(pids, { intervalMs = 1000 } = {}) {
    this.pids = { ...pids };
    this.intervalMs = intervalMs;
    this.samples = [];
    this.start = {};
    this.last = {};
    this.t0 = performance.now();
    this.machine0 = readMachineCpu();
    for (const [name, pid] of Object.entries(this.pids)) {
      const r = readProcess(pid);
      if (r) this.start[name] = r;
    }
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** Adds a process later (e.g. once the app started). Its CPU counts from now. */
  add(name, pid) {
    this.pids[name] = pid;
    const r = readProcess(pid);
    if (r) this.start[name] = r;
  }

  sample() {
    const t = (performance.now() - this.t0) / 1000;
    const row = { t: Number(t.toFixed(2)) };
    for (const [name, pid] of Object.entries(this.pids)) {
      const r = readProcess(pid);
      if (!r) continue;
      this.last[name] = r;
      row[name] = { cpuS: Number((r.cpuS - (this.start[name]?.cpuS ?? 0)).toFixed(2)), rssMb: Math.round(r.rssMb) };
    }
    const m = readMachineCpu();
    row.machineBusyS = Number((m.totalS - m.idleS - (this.machine0.totalS - this.machine0.idleS)).toFixed(2));
    this.samples.push(row);
    return row;
  }

  /** Stops sampling; per process: CPU seconds used while sampling, peak RSS, and the machine's busy share. */
  stop() {
    clearInterval(this.timer);
    this.sample();
    const wallS = (performance.now() - this.t0) / 1000;
    const m = readMachineCpu();
    const busyS = m.totalS - m.idleS - (this.machine0.totalS - this.machine0.idleS);
    const processes = {};
    for (const name of Object.keys(this.pids)) {
      const first = this.start[name];
      const last = this.last[name];
      if (!first || !last) continue;
      const cpuS = last.cpuS - first.cpuS;
      processes[name] = {
        cpuS: Number(cpuS.toFixed(2)),
        cores: Number((cpuS / wallS).toFixed(2)),
        peakRssMb: Math.round(Math.max(last.hwmMb, ...this.samples.map((s) => s[name]?.rssMb ?? 0))),
        lastRssMb: Math.round(last.rssMb),
      };
    }
    return {
      wallS: Number(wallS.toFixed(2)),
      machineBusyCores: Number((busyS / wallS).toFixed(2)),
      processes,
    };
  }
}
