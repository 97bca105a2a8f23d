import fs from 'node:fs';

// How many gateway sockets one instance may hold: INGEST_MAX_SOCKETS, and no more than the
// process's open-files limit leaves for them. A socket is a file descriptor; a process out of
// descriptors cannot open a database connection, a file or an HTTP connection either.

/** Descriptors kept for everything but gateway sockets, besides the pool and MLLP connections. */
export const RESERVED_DESCRIPTORS = 1024;

/** The process's soft open-files limit (RLIMIT_NOFILE), or null where it cannot be read or is unlimited. */
export function openFilesLimit(limitsFile = '/proc/self/limits'): number | null {
  let text: string;
  try {
    text = fs.readFileSync(limitsFile, 'utf8');
  } catch {
    return null;
  }
  const line = text.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  const n = Number(soft);
  return Number.isInteger(n) && n > 0 ? n : null;
}

export interface SocketCap {
  /** Gateway sockets admitted at once. */
  readonly max: number;
  /** True when the open-files limit, not INGEST_MAX_SOCKETS, set `max`. */
  readonly byOpenFiles: boolean;
}

/** INGEST_MAX_SOCKETS, lowered to the open-files limit less `reserved` when that is smaller. */
export function gatewaySocketCap(configured: number, reserved: number, openFiles: number | null): SocketCap {
  if (openFiles === null || openFiles - reserved >= configured) return { max: configured, byOpenFiles: false };
  return { max: Math.max(1, openFiles - reserved), byOpenFiles: true };
}
