// `npm start`: runs an entry (simulators/demo.ts: the service on an embedded PostgreSQL,
// fed by the simulator) as a child in a process group of its own.
//
// Ctrl-C on a terminal sends SIGINT to the whole foreground process group. Run directly,
// the service and the embedded PostgreSQL it started are both in that group, so PostgreSQL
// began its own fast shutdown under the service, cutting the connections the service was
// flushing and saving its engine state with. Here only this launcher is in the terminal's
// group: it passes the signal to the service alone, which stops in order (stops accepting,
// flushes, saves its engine state, logs `stopped`) and stops its PostgreSQL last.
//
// Nothing is left running behind it: when the service has exited, by itself or killed,
// whatever is still in its process group (a PostgreSQL it had started) is stopped before
// this launcher exits; and should this launcher be killed, the service sees its IPC
// channel close and stops in order (src/runtime.ts).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** How long what is left in the group after a clean exit may take to end by itself. */
const SETTLE_MS = 5_000;
/** How long what is left in the group gets to stop after SIGINT before SIGKILL. */
const GROUP_STOP_MS = 30_000;

/**
 * Whether a process of the group is still running. Where /proc is there (Linux), exited
 * processes not yet reaped (zombies: PostgreSQL, orphaned by a killed service, waits for
 * PID 1 to reap it, and some PID 1s never do) are not counted; elsewhere, signal 0.
 */
function alive(pgid: number): boolean {
  let entries: string[] | null = null;
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    /* no /proc */
  }
  if (entries === null) {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
  }
  return false;
}

/** Wait until nothing is left in the process group; false if something still is after `ms`. */
async function emptied(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pgid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/**
 * After the service has exited: whatever is left in its group ends by itself within moments
 * (tsx's compiler process) unless the service died without stopping its PostgreSQL; that is
 * asked to stop (SIGINT: a fast shutdown), and killed only if it does not.
 */
async function stopGroup(pgid: number, serviceKilled: boolean): Promise<void> {
  if (await emptied(pgid, serviceKilled ? 0 : SETTLE_MS)) return;
  process.stderr.write(`launcher: stopping what the service left running (process group ${pgid})\n`);
  try {
    process.kill(-pgid, 'SIGINT');
  } catch {
    return;
  }
  if (await emptied(pgid, GROUP_STOP_MS)) return;
  process.stderr.write(`launcher: process group ${pgid} still running after ${GROUP_STOP_MS} ms; killing it\n`);
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    /* gone meanwhile */
  }
}

async function main(): Promise<void> {
  const [entry, ...args] = process.argv.slice(2);
  if (!entry) {
    process.stderr.write('usage: node --import tsx src/launcher.ts <entry.ts> [args…]\n');
    process.exit(64); // EX_USAGE
  }
  const child = spawn(process.execPath, [...process.execArgv, entry, ...args], {
    // setsid(): a process group (and session) of its own, out of the terminal's reach.
    detached: true,
    // stdout and stderr stay the terminal's (so logs are still pretty there); the IPC
    // channel tells the service when this launcher is gone.
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.once('error', (err) => {
    process.stderr.write(`launcher: could not start ${entry}: ${err.message}\n`);
    process.exit(1);
  });
  const pgid = child.pid!;
  // Each signal goes to the service alone; it stops its PostgreSQL itself, last. npm passes
  // Ctrl-C on as well, so one Ctrl-C may arrive twice: the service's shutdown runs once.
  for (const signal of SIGNALS) process.on(signal, () => child.kill(signal));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
  if (signal) process.stderr.write(`launcher: the service was killed by ${signal}\n`);
  await stopGroup(pgid, signal !== null);
  process.exit(code ?? 128 + (signal ? os.constants.signals[signal] : 0));
}

await main();
