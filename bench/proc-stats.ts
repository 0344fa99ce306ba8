import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second for /proc/<pid>/stat (USER_HZ, almost always 100). */
export const CLK_TCK: number = (() => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time (user + system, all threads) a live process has used so far, in µs, from
 * /proc/<pid>/stat. Resolution is one clock tick (10 ms at USER_HZ 100).
 */
export function procCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // comm (field 2) is in parentheses and may contain spaces: split after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]); // field 14
  const stime = Number(rest[12]); // field 15
  return ((utime + stime) * 1e6) / CLK_TCK;
}

/**
 * The postmaster of the PostgreSQL this connection reaches (the first line of postmaster.pid in
 * its data directory, so only a server on this machine): its process tree's CPU is PostgreSQL's
 * share of a cost. 0 when it cannot be read.
 */
export async function postmasterPid(db: { query<R>(text: string): Promise<{ rows: R[] }> }): Promise<number> {
  const dataDirectory = (await db.query<{ data_directory: string }>('SHOW data_directory')).rows[0]?.data_directory;
  if (!dataDirectory) return 0;
  return Number(readFileSync(`${dataDirectory}/postmaster.pid`, 'utf8').split('\n', 1)[0]) || 0;
}

/**
 * CPU time of a process and of its children (live ones from /proc, exited ones from the parent's
 * cutime/cstime), in µs: PostgreSQL's postmaster and every backend, checkpointer and WAL writer.
 */
export function processTreeCpuUs(rootPid: number): number {
  const fields = (pid: number | string): string[] | undefined => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    } catch {
      return undefined; // gone meanwhile
    }
  };
  const root = fields(rootPid);
  if (!root) return NaN;
  // utime, stime, cutime, cstime: fields 14-17.
  let ticks = Number(root[11]) + Number(root[12]) + Number(root[13]) + Number(root[14]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = fields(entry);
    if (f && Number(f[1]) === rootPid) ticks += Number(f[11]) + Number(f[12]);
  }
  return (ticks * 1e6) / CLK_TCK;
}

/** Peak resident set size (VmHWM) of a live process, in MiB. */
export function procPeakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(m[1]) / 1024;
}

/** This process's CPU time (user + system, all threads) in µs. */
export function selfCpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** CLOCK_MONOTONIC in µs: the clock V8 stamps .cpuprofile samples with, so windows can be cut. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** CPU time the whole machine has been busy (all CPUs; user+nice+system+irq+softirq+steal), in µs, from /proc/stat. */
export function machineBusyUs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
  return ((user + nice + system + irq + softirq + steal) * 1e6) / CLK_TCK;
}
