// Files a run writes: readings as NDJSON (for replays and benchmarks) and the ground truth.
import { createWriteStream, type WriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import type { Cohort } from './cohort.ts';
import { rfc3339 } from './time.ts';
import type { SimReading } from './types.ts';

/** Buffered NDJSON writer that respects the stream's back-pressure. */
export class NdjsonWriter {
  private readonly stream: WriteStream;
  private buf = '';
  written = 0;

  constructor(path: string) {
    this.stream = createWriteStream(path);
  }

  async write(readings: readonly SimReading[]): Promise<void> {
    for (const r of readings) this.buf += `${JSON.stringify(r)}\n`;
    this.written += readings.length;
    if (this.buf.length >= 1 << 16) await this.flush();
  }

  private async flush(): Promise<void> {
    const chunk = this.buf;
    this.buf = '';
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await once(this.stream, 'finish');
  }
}

/**
 * `.ndjson` gets one event per line; anything else a JSON document with the patient list. With
 * lifecycle events, the NDJSON also gets one line `{"lifecycle": {...}}` per lifecycle event
 * after the events, and the document a `lifecycle` list.
 */
export async function writeTruth(path: string, cohort: Cohort): Promise<void> {
  const life = cohort.options.lifecycle;
  if (path.endsWith('.ndjson')) {
    const lines = [...cohort.truth.map((t) => JSON.stringify(t)), ...cohort.lifecycle.map((e) => JSON.stringify({ lifecycle: e }))];
    await writeFile(path, lines.join('\n') + '\n');
    return;
  }
  const o = cohort.options;
  const doc = {
    generator: { seed: o.seed, start: rfc3339(o.start), days: o.days, patients: o.patients, hourlyHr: o.hourlyHr, ...(life ? { lifecycle: true } : {}) },
    patients: cohort.patients,
    events: cohort.truth,
    ...(life ? { lifecycle: cohort.lifecycle } : {}),
  };
  await writeFile(path, `${JSON.stringify(doc, null, 1)}\n`);
}
