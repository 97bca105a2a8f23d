// The bench's own longest stall in a phase, and whether it was busy or waiting through it: a
// 10 ms timer notes how late it fires and the process's CPU time and involuntary context
// switches since the previous tick. A stall with as much CPU as wall time is the bench's own
// work (or its garbage collector); one with little CPU is time it was not running (preempted
// by the service, PostgreSQL or the kernel on a shared machine). Acks that arrive during a
// stall are timed late either way.

const TICK_MS = 10;

export interface Stall {
  /** How late the timer fired, ms. */
  readonly lateMs: number;
  /** Seconds into the phase when it ended. */
  readonly atS: number;
  /** The bench's own CPU time (user + system) between the two ticks, ms. */
  readonly cpuMs: number;
  /** Times the kernel took the CPU from it between the two ticks. */
  readonly preempted: number;
}

export class StallWatch {
  private readonly timer: NodeJS.Timeout;
  private worst: Stall = { lateMs: 0, atS: 0, cpuMs: 0, preempted: 0 };
  private last = performance.now();
  private usage = process.resourceUsage();

  constructor(private readonly start: number) {
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  private tick(): void {
    const now = performance.now();
    const usage = process.resourceUsage();
    const lateMs = now - this.last - TICK_MS;
    if (lateMs > this.worst.lateMs) {
      this.worst = {
        lateMs, atS: (now - this.start) / 1000,
        cpuMs: (usage.userCPUTime + usage.systemCPUTime - this.usage.userCPUTime - this.usage.systemCPUTime) / 1000,
        preempted: usage.involuntaryContextSwitches - this.usage.involuntaryContextSwitches,
      };
    }
    this.last = now;
    this.usage = usage;
  }

  stop(): Stall {
    clearInterval(this.timer);
    return this.worst;
  }
}

export function describeStall(s: Stall): string {
  return `the bench's longest stall ${s.lateMs.toFixed(0)} ms (ending ${s.atS.toFixed(1)} s in): ` +
    `its own CPU ${s.cpuMs.toFixed(0)} ms through it, preempted ${s.preempted} times`;
}
