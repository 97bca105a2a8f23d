// A detached month written to a gzip CSV file an operator can restore from
// (docs/partitions.md, "Restoring an archived month"), and read back.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import type { Db } from '../store/db.ts';
import { ARCHIVE_COLUMNS, archiveChunk, detachedRowCount, monthOfName, type ArchiveCursor, type RestoreRow } from '../store/partitions.ts';

export interface ArchiveFile {
  readonly file: string;
  readonly manifest: string;
  readonly rows: number;
  readonly bytes: number;
  readonly sha256: string;
}

/** What sits beside each archive file, as JSON. */
export interface ArchiveManifest {
  readonly table: string;
  /** The month's bounds, ISO 8601 UTC: [from, to). */
  readonly from: string;
  readonly to: string;
  readonly rows: number;
  readonly columns: readonly string[];
  readonly file: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly archivedAt: string;
}

const CHUNK_ROWS = 20_000;

/**
 * Write the detached month `name` (in the `archive` schema) to `<dir>/<name>.<stamp>.csv.gz`
 * with a header line, then its manifest; both are written under a temporary name and
 * renamed once complete and synced, so a file without `.partial` is always whole. Throws
 * if the rows written are not the rows the table holds.
 */
export async function writeArchive(
  db: Db, name: string, dir: string, now: Date, progress: (rows: number) => void = () => {},
): Promise<ArchiveFile> {
  const from = monthOfName(name);
  if (from === null) throw new Error(`"${name}" is not a month partition`);
  const to = new Date(from);
  to.setUTCMonth(to.getUTCMonth() + 1);
  await fs.mkdir(dir, { recursive: true });
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const file = path.join(dir, `${name}.${stamp}.csv.gz`);
  const partial = `${file}.partial`;

  const expected = await detachedRowCount(db, name);
  const hash = createHash('sha256');
  let bytes = 0;
  let rows = 0;
  const csv = new PassThrough();
  const gzip = createGzip();
  const counted = new PassThrough();
  counted.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    bytes += chunk.length;
  });
  const out = createWriteStream(partial, { mode: 0o600 });
  const written = pipeline(csv, gzip, counted, out);
  try {
    const write = (text: string) => (csv.write(text) ? Promise.resolve() : new Promise<void>((r) => csv.once('drain', () => r())));
    await write(`${ARCHIVE_COLUMNS.join(',')}\n`);
    let after: ArchiveCursor | null = null;
    do {
      const chunk = await archiveChunk(db, name, after, CHUNK_ROWS);
      if (chunk.lines.length > 0) await write(`${chunk.lines.join('\n')}\n`);
      rows += chunk.lines.length;
      progress(rows);
      after = chunk.next;
    } while (after);
    csv.end();
    await written;
  } catch (err) {
    csv.destroy();
    await written.catch(() => undefined);
    await fs.rm(partial, { force: true });
    throw err;
  }
  if (rows !== expected) {
    await fs.rm(partial, { force: true });
    throw new Error(`archive of ${name}: wrote ${rows} rows, the table holds ${expected}; nothing dropped`);
  }
  await syncFile(partial);
  await fs.rename(partial, file);

  const sha256 = hash.digest('hex');
  const manifest: ArchiveManifest = {
    table: name, from: new Date(from).toISOString(), to: to.toISOString(), rows, columns: ARCHIVE_COLUMNS,
    file: path.basename(file), bytes, sha256, archivedAt: now.toISOString(),
  };
  const manifestFile = file.replace(/\.csv\.gz$/, '.json');
  await fs.writeFile(`${manifestFile}.partial`, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  await syncFile(`${manifestFile}.partial`);
  await fs.rename(`${manifestFile}.partial`, manifestFile);
  await syncFile(dir);
  return { file, manifest: manifestFile, rows, bytes, sha256 };
}

async function syncFile(p: string): Promise<void> {
  const h = await fs.open(p, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Bad content in an archive file: which line, and why. */
export class ArchiveFormatError extends Error {}

/** The rows of an archive file, in chunks of `size`. */
export async function* readArchive(file: string, size: number): AsyncGenerator<RestoreRow[]> {
  const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
  let n = 0;
  let chunk: RestoreRow[] = [];
  for await (const line of lines) {
    n++;
    if (n === 1) {
      if (line !== ARCHIVE_COLUMNS.join(',')) throw new ArchiveFormatError(`${file}: line 1 is not the header ${ARCHIVE_COLUMNS.join(',')}`);
      continue;
    }
    if (line === '') continue;
    chunk.push(parseLine(line, file, n));
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (n === 0) throw new ArchiveFormatError(`${file}: empty`);
  if (chunk.length > 0) yield chunk;
}

function parseLine(line: string, file: string, n: number): RestoreRow {
  const f = line.split(',');
  const bad = (why: string) => new ArchiveFormatError(`${file}, line ${n}: ${why}`);
  if (f.length !== ARCHIVE_COLUMNS.length) throw bad(`${f.length} fields, not ${ARCHIVE_COLUMNS.length}`);
  const num = (i: number, integer: boolean) => {
    const v = Number(f[i]);
    if (f[i] === '' || !Number.isFinite(v) || (integer && !Number.isSafeInteger(v))) throw bad(`${ARCHIVE_COLUMNS[i]} is not a number`);
    return v;
  };
  const time = (i: number) => {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(f[i]!)) throw bad(`${ARCHIVE_COLUMNS[i]} is not a UTC time`);
    return f[i]!;
  };
  return {
    deviceId: num(0, true), seq: num(1, true), at: time(2), metric: num(3, true), value: num(4, false),
    gatewayId: num(5, true), receivedAt: time(6), score: f[7] === '' ? null : num(7, false),
  };
}
