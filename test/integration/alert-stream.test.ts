import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { TestGateway, type Reading } from '../helpers/gateway.ts';
import { seedUser, signIn } from '../helpers/people.ts';

// GET /v1/alerts/stream: snapshot with cursor, live changes, resume with ?after= without a
// change missed or repeated, the caller's sites only, and refusals before the upgrade.

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1, 2);
let tdb: TestDatabase;
let svc: RunningService;
let gwA: TestGateway;
let gwB: TestGateway;
let clinicianA: string;
let clinicianB: string;
let analyst: string;
let seq = 0;

type Message = { type: string; cursor: number; alerts?: Array<{ device: string; id: string }>; alert?: { device: string; id: string; occurrences: number }; change?: { type: string } };

class StreamClient {
  readonly messages: Message[] = [];
  private waiters: Array<() => void> = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      this.messages.push(JSON.parse(d.toString()) as Message);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static open(cookie: string | null, query = '', origin: string | null = svc.httpUrl): Promise<StreamClient> {
    const headers: Record<string, string> = {};
    if (cookie) headers.cookie = cookie;
    if (origin) headers.origin = origin;
    const ws = new WebSocket(`${svc.httpUrl.replace('http', 'ws')}/v1/alerts/stream${query}`, { headers });
    return new Promise((resolve, reject) => {
      const client = new StreamClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  async until(n: number): Promise<Message[]> {
    for (let i = 0; i < 400 && this.messages.length < n; i++) {
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    expect(this.messages.length).toBeGreaterThanOrEqual(n);
    return this.messages;
  }

  close(): void {
    this.ws.close();
  }
}

function vt(device: string, day: number): Reading {
  return { device, seq: ++seq, at: new Date(T0 + day * DAY).toISOString(), metric: 'vt_episodes', value: 1 };
}

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url);
  gwA = await svc.gateway((await seedGateway(tdb.db, 'north')).key);
  gwB = await svc.gateway((await seedGateway(tdb.db, 'south')).key);
  await gwA.batch('a0', [vt('N-1', 1)]);
  await gwB.batch('b0', [vt('S-1', 1)]);
  clinicianA = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['north'])).email);
  clinicianB = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['south'])).email);
  analyst = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'analyst', ['north'])).email);
});
afterAll(async () => {
  gwA?.close();
  gwB?.close();
  await svc?.close();
  await tdb?.drop();
});

describe('the alert stream', () => {
  it('starts with a snapshot of the open alerts of the caller’s sites, then pushes each change', async () => {
    const a = await StreamClient.open(clinicianA);
    const [snap] = await a.until(1);
    expect(snap!.type).toBe('snapshot');
    expect(snap!.alerts!.map((x) => x.device)).toEqual(['N-1']);
    expect(snap!.cursor).toBeGreaterThan(0);

    await gwB.batch('b1', [vt('S-2', 2)]); // another site: not for this client
    await gwA.batch('a1', [vt('N-2', 2)]);
    await gwA.batch('a2', [vt('N-2', 3)]);
    const msgs = await a.until(3);
    const live = msgs.slice(1);
    expect(live.map((m) => [m.type, m.alert!.device, m.change!.type])).toEqual([
      ['alert', 'N-2', 'opened'],
      ['alert', 'N-2', 'updated'],
    ]);
    expect(live[1]!.alert!.occurrences).toBe(2);
    expect(live[0]!.cursor).toBeGreaterThan(snap!.cursor);
    expect(live[1]!.cursor).toBeGreaterThan(live[0]!.cursor);
    a.close();
  });

  it('resumes after a cursor: every change missed, once, then live ones', async () => {
    const first = await StreamClient.open(clinicianA);
    const [snap] = await first.until(1);
    first.close();
    // Changes while disconnected.
    await gwA.batch('a3', [vt('N-3', 4)]);
    await gwA.batch('a4', [vt('N-1', 5)]);
    await gwB.batch('b2', [vt('S-3', 5)]);

    const again = await StreamClient.open(clinicianA, `?after=${snap!.cursor}`);
    const missed = await again.until(2);
    expect(missed.map((m) => [m.alert!.device, m.change!.type])).toEqual([['N-3', 'opened'], ['N-1', 'updated']]);
    await gwA.batch('a5', [vt('N-4', 6)]);
    const all = await again.until(3);
    expect(all[2]!.alert!.device).toBe('N-4');
    const cursors = all.map((m) => m.cursor);
    expect(new Set(cursors).size).toBe(cursors.length);
    expect([...cursors].sort((x, y) => x - y)).toEqual(cursors);
    again.close();
  });

  it('shows a clinician of another site nothing of this one', async () => {
    const b = await StreamClient.open(clinicianB, '?after=0');
    await gwA.batch('a6', [vt('N-5', 7)]);
    await gwB.batch('b3', [vt('S-4', 7)]);
    const msgs = await b.until(4);
    expect(msgs.every((m) => m.alert!.device.startsWith('S-'))).toBe(true);
    expect(msgs.at(-1)!.alert!.device).toBe('S-4');
    b.close();
  });

  it('refuses before the upgrade: signed out, analyst, foreign origin, no origin, bad cursor', async () => {
    await expect(StreamClient.open(null)).rejects.toThrow('HTTP 401');
    await expect(StreamClient.open('session=nope')).rejects.toThrow('HTTP 401');
    await expect(StreamClient.open(analyst)).rejects.toThrow('HTTP 403');
    await expect(StreamClient.open(clinicianA, '', 'https://evil.example')).rejects.toThrow('HTTP 403');
    await expect(StreamClient.open(clinicianA, '', null)).rejects.toThrow('HTTP 403');
    await expect(StreamClient.open(clinicianA, '?after=-1')).rejects.toThrow('HTTP 400');
    await expect(StreamClient.open(clinicianA, '?after=abc')).rejects.toThrow('HTTP 400');
  });
});
