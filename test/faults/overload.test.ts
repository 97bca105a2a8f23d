import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { TestGateway, type Reading } from '../helpers/gateway.ts';
import { seedUser, signIn } from '../helpers/people.ts';
import { startServiceProcess, type ServiceProcess } from '../helpers/process.ts';
import { seedGateway } from '../helpers/service.ts';
import { createCohort, runSimulation, type CohortOptions } from '../../simulators/index.ts';
import { AckLedger } from './proxy.ts';
import { compare, report, rssMb, sleep, storedReadings, until } from './check.ts';

// Overload. First the sustained rate is measured (the simulator at full speed, default
// gateways, 10 s); then for 60 s the simulator offers three times that rate (paced, with three
// times the gateways and a window of 32 batches, so far more is in flight than the service's
// write queue takes), while 200 signed-in dashboards hold alert streams they stopped reading
// and an alert storm fills them. The service must push back (`unavailable`, slower acks)
// instead of growing without bound, stay up, drop the stalled streams (4008), and end with
// every sent reading stored once.

const DAY = 86_400_000;
const SITE = 'load';
const BURST_MS = 60_000;
const STREAMS = 200;
let tdb: TestDatabase;
let svc: ServiceProcess | undefined;
let ledger: AckLedger | undefined;
const streams: WebSocket[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(async () => {
  for (const ws of streams) ws.terminate();
  if (svc && svc.child.exitCode === null) await svc.stop('SIGKILL');
  await ledger?.close();
  await tdb?.drop();
});

const quantile = (xs: number[], q: number): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]!);
};

/** An alert storm on its own gateway: 1,000 devices x 20 rounds of VT episodes, resending refused batches. */
async function storm(url: string, key: string): Promise<number> {
  const gw = await TestGateway.open(url, key);
  let accepted = 0;
  for (let b = 0; b < 20; b++) {
    const readings: Reading[] = Array.from({ length: 1000 }, (_, i) => ({
      device: `STORM-${i}`, seq: b + 1, at: new Date(Date.now() - DAY + b * 60_000).toISOString(), metric: 'vt_episodes', value: 1,
    }));
    for (let attempt = 0; ; attempt++) {
      const reply = await gw.batch(`s${b}-${attempt}`, readings);
      if (reply.type === 'ack') {
        accepted += (reply.accepted as number) + (reply.duplicates as number);
        break;
      }
      await sleep(Number(reply.retryAfterMs ?? 500));
    }
  }
  gw.close();
  return accepted;
}

describe('overload', () => {
  it('pushes back instead of running out of memory, and drops dashboards that stopped reading', async () => {
    const { key } = await seedGateway(tdb.db, SITE);
    const { key: stormKey } = await seedGateway(tdb.db, SITE);
    const clinician = await seedUser(tdb.db, 'clinician', [SITE]);
    svc = await startServiceProcess({
      DATABASE_URL: tdb.url, LOG_LEVEL: 'error', INGEST_RETRY_AFTER_MS: '250', ALERT_STREAM_MAX_BUFFER_BYTES: '16384',
    });
    const httpUrl = `http://127.0.0.1:${svc.port}`;
    let exitedEarly: number | null | undefined;
    void svc.exited.then((code) => (exitedEarly = code));
    ledger = await AckLedger.start(() => `ws://127.0.0.1:${svc!.port}/v1/ingest`);
    const rssBefore = (await rssMb(httpUrl)) ?? 0;

    // Phase 1: the sustained rate.
    const cohortA: CohortOptions = { patients: 200, days: 365, seed: 61, sites: [SITE], start: Math.floor(Date.now() / DAY) * DAY - 365 * DAY };
    const stopA = new AbortController();
    const timerA = setTimeout(() => stopA.abort(), 10_000);
    const t0 = performance.now();
    const summaryA = await runSimulation({ ...cohortA, url: ledger.url, key, speed: 'max', log: () => {}, signal: stopA.signal });
    clearTimeout(timerA);
    const sustained = Math.round(ledger.acked.size / ((performance.now() - t0) / 1000));
    const latA = ledger.ackLatencies.splice(0);
    const unavailableA = ledger.errors.unavailable ?? 0;

    // 200 dashboards sign in, open the alert stream, then stop reading.
    const cookie = await signIn(httpUrl, clinician.email);
    const closes: Array<Promise<number>> = [];
    const received: number[] = [];
    for (let i = 0; i < STREAMS; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${svc.port}/v1/alerts/stream`, { headers: { cookie, origin: httpUrl } });
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      received.push(0);
      ws.on('message', () => received[i]!++);
      closes.push(new Promise<number>((resolve) => ws.once('close', (code) => resolve(code))));
      (ws as unknown as { _socket: { pause(): void } })._socket.pause();
      streams.push(ws);
    }

    // One dashboard that keeps reading: how long after its change committed each alert reaches
    // it under the burst and the storm (measured and printed, not asserted: no bound is specified).
    const live = new WebSocket(`ws://127.0.0.1:${svc.port}/v1/alerts/stream`, { headers: { cookie, origin: httpUrl } });
    await new Promise((resolve, reject) => live.once('open', resolve).once('error', reject));
    const liveDelays: number[] = [];
    let liveClosed: number | null = null;
    const liveCursors = new Set<number>();
    live.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { type: string; cursor: number; change?: { at: string } };
      if (m.type !== 'alert' || !m.change) return;
      liveDelays.push(Date.now() - Date.parse(m.change.at));
      liveCursors.add(m.cursor);
    });
    live.once('close', (code) => (liveClosed = code));
    streams.push(live);

    // Phase 2: three times the sustained rate, paced, for 60 s.
    const cohortB: CohortOptions = { patients: 600, days: 365, seed: 62, sites: [SITE], start: Math.floor(Date.now() / DAY) * DAY - 365 * DAY };
    let readingsB = 0;
    for (const r of createCohort(cohortB).readings()) if (r) readingsB++;
    const perSimSecond = readingsB / (365 * 86_400);
    const speed = (3 * sustained) / perSimSecond;
    const ackedBeforeB = ledger.acked.size;
    const stopB = new AbortController();
    let rssPeak = rssBefore;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const rss = await rssMb(httpUrl);
        if (rss !== null) rssPeak = Math.max(rssPeak, rss);
        await sleep(1000);
      }
    })();
    const stormDone = storm(`ws://127.0.0.1:${svc.port}/v1/ingest`, stormKey);
    const timerB = setTimeout(() => stopB.abort(), BURST_MS);
    const t1 = performance.now();
    const summaryB = await runSimulation({
      ...cohortB, url: ledger.url, key, speed, log: () => {}, signal: stopB.signal,
      gateways: 30, relays: 6, window: 32, maxOutstanding: 400_000,
    });
    clearTimeout(timerB);
    const burstSeconds = (performance.now() - t1) / 1000;
    const stormAcked = await stormDone;
    sampling = false;
    await sampler;
    const latB = ledger.ackLatencies.splice(0);
    const unavailableB = (ledger.errors.unavailable ?? 0) - unavailableA;
    // First sends per second: the paced target is 3x sustained; what the gateways got out is
    // less, because a full window and the outstanding cap hold the producer back.
    const offeredB = Math.round(summaryB.sent / burstSeconds);
    const ackedB = Math.round((ledger.acked.size - ackedBeforeB) / burstSeconds);

    // The stalled dashboards read again: each must find that the service dropped its stream,
    // having received only part of the changes. 4008 when its close frame is still there to
    // read; 1006 when the service gave up on the close handshake (30 s) or on the unanswered
    // pings first and destroyed the socket with its unsent buffer. The client never closes
    // one itself, and a stream buffered without bound would deliver every change and stay open.
    await sleep(1500);
    for (const ws of streams) (ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const codes = await Promise.race([Promise.all(closes), sleep(120_000).then(() => [] as number[])]);
    const closeCodes: Record<string, number> = {};
    for (const c of codes) closeCodes[c] = (closeCodes[c] ?? 0) + 1;
    const dropped = codes.filter((c) => c === 4008 || c === 1006).length;
    const alertEvents = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM alert_events`.execute(tdb.db)).rows[0]!.n);

    const alive = svc.child.exitCode === null && exitedEarly === undefined;
    await until('ready', async () => (await fetch(`${httpUrl}/health/ready`)).status === 200);
    const stored = await storedReadings(tdb.url, 'STORM-');
    const verdict = compare(stored, { expected: ledger.sent, acked: ledger.acked });
    const summary = { ...summaryB };
    for (const k of ['readings', 'sent', 'resent', 'accepted', 'duplicates', 'confirmedByStatus', 'rejected', 'failed', 'reconnects'] as const) {
      summary[k] += summaryA[k];
    }
    report('overload', summary, ledger.acked.size, verdict, {
      sustainedPerSec: sustained,
      burstSpeedSimSecPerSec: Math.round(speed),
      burstTargetPerSec: 3 * sustained,
      burstOfferedPerSec: offeredB,
      burstAckedPerSec: ackedB,
      burstSeconds: Math.round(burstSeconds),
      ackMsP50: `${quantile(latA, 0.5)}->${quantile(latB, 0.5)}`,
      ackMsP95: `${quantile(latA, 0.95)}->${quantile(latB, 0.95)}`,
      unavailableBurst: unavailableB,
      rssBeforeMB: rssBefore,
      rssPeakMB: rssPeak,
      stormAcked,
      streamsDropped: `${dropped}/${STREAMS}`,
      streamCloseCodes: JSON.stringify(closeCodes),
      alertEvents,
      streamMessagesMax: Math.max(...received),
      liveStreamChanges: liveDelays.length,
      liveStreamRepeats: liveDelays.length - liveCursors.size,
      liveStreamDelayMs: `p50=${quantile(liveDelays, 0.5)} p95=${quantile(liveDelays, 0.95)} max=${quantile(liveDelays, 1)}`,
      liveStreamClosed: liveClosed ?? 'no',
      serviceAlive: alive,
    });

    expect(alive).toBe(true);
    // Backpressure: refused batches (the write queue was full) rather than unbounded buffering.
    expect(unavailableB).toBeGreaterThan(0);
    expect(rssPeak).toBeLessThan(1536);
    expect(dropped).toBe(STREAMS);
    expect(Math.max(...received)).toBeLessThan(alertEvents);
    expect(stormAcked).toBe(20_000);
    // The dashboard that kept reading was sent no change twice (the stream's promise). Whether
    // it kept up is reported, not asserted: this test's own process is busy sending the burst.
    expect(liveCursors.size).toBe(liveDelays.length);
    expect(summary.rejected + summary.failed).toBe(0);
    expect(ledger.acked.size).toBe(ledger.sent.size);
    expect(verdict).toMatchObject({ storedTwice: 0, missing: 0, unexpected: 0 });
    expect(verdict.stored).toBe(ledger.sent.size);
  });
});
