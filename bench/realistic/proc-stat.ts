// A process's CPU time from /proc/<pid>/stat (Linux), for the bench's per-phase figures.
import fs from 'node:fs';

/** Clock ticks a second (USER_HZ): 100 on Linux. */
const CLK_TCK = 100;

export interface ProcStat {
  readonly ppid: number;
  /** Its own user + system CPU, ms. */
  readonly cpuMs: number;
  /** User + system CPU of its children that ended and it waited for, ms. */
  readonly reapedMs: number;
}

/** null once the process is gone (or was never ours to read). */
export function procStat(pid: number): ProcStat | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Fields after the command name, which may itself hold spaces and parentheses.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ms = (a: number, b: number) => ((Number(f[a]) + Number(f[b])) * 1000) / CLK_TCK;
  return { ppid: Number(f[1]), cpuMs: ms(11, 12), reapedMs: ms(13, 14) };
}

/** A running process's user + system CPU, ms. */
export function processCpuMs(pid: number): number {
  const s = procStat(pid);
  if (!s) throw new Error(`process ${pid} is gone`);
  return s.cpuMs;
}
