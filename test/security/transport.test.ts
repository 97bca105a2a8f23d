import net from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MAX_UNREAD_REPLY_BYTES } from '../../src/ingest/session.ts';
import { readings, TestGateway } from '../helpers/gateway.ts';
import { seedUser } from '../helpers/people.ts';
import { expectUnharmed, startWatched, type Watched } from './harness.ts';

// The transport edges: content-type tricks, bodies and frames just over each limit,
// floods of tiny frames, and upgrades with too many headers. Raw sockets where fetch
// would normalise what is sent.

const FRAME = 64 * 1024;
const BODY = 64 * 1024;
const IDCO = 32 * 1024;
let w: Watched;
let port: number;

beforeAll(async () => {
  w = await startWatched(inject('pgAdminUrl'), {
    INGEST_MAX_FRAME_BYTES: String(FRAME), INGEST_MAX_BODY_BYTES: String(BODY), IDCO_MAX_BYTES: String(IDCO),
  });
  port = Number(new URL(w.svc.httpUrl).port);
});
afterAll(async () => {
  await w?.close();
});

/** Write bytes to the service and read until it closes: the status (null if none) and body. */
function raw(request: string | Buffer, ms = 5000): Promise<{ status: number | null; body: string; head: string }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(request));
    const chunks: Buffer[] = [];
    const done = () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : null, head: end < 0 ? text : text.slice(0, end), body: end < 0 ? '' : text.slice(end + 4) });
    };
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('close', done);
    s.on('error', () => undefined);
    setTimeout(() => s.destroy(), ms);
  });
}

let seq = 0;
const batchBody = () => JSON.stringify({ readings: readings('CT-1', ++seq, 1) });

function postReadings(contentTypes: string[], body = batchBody()): string {
  const ct = contentTypes.map((c) => `Content-Type: ${c}\r\n`).join('');
  return `POST /v1/readings HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${w.key}\r\n${ct}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

describe('content-type tricks on POST /v1/readings', () => {
  // Optional whitespace around a header value is not part of it (RFC 9110 5.5), and media
  // type parameters do not change the type: these are JSON and are stored.
  it.each([
    ['application/json\t'], ['\tapplication/json'], ['application/json; charset=utf-8; x'], ['APPLICATION/JSON'],
    ['application/json ;x=1'], ['application/json; charset="utf-8"'],
  ])('stores %j as JSON', async (type) => {
    const res = await raw(postReadings([type]));
    expect(res.status, res.body).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ accepted: 1 });
  });

  it.each([
    ['application/jsonx'], ['text/plain'], ['application/json, text/plain'], ['application/vnd.api+json'],
    ['application/x-www-form-urlencoded'], ['multipart/form-data; boundary=x'], ['json'], [''],
  ])('refuses %j with 415 unsupported_media_type', async (type) => {
    const res = await raw(postReadings([type]));
    expect(res.status, res.body).toBe(415);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'unsupported_media_type' });
  });

  it('refuses a body without a Content-Type with 415', async () => {
    const res = await raw(postReadings([]));
    expect(res.status).toBe(415);
  });

  it('refuses a control character in the header with 400 from the HTTP parser', async () => {
    const res = await raw(postReadings(['application/json\u000b']));
    expect(res.status).toBe(400);
  });

  it('reads multiple Content-Type headers as the first one, never as a mix', async () => {
    // Node keeps the first of repeated Content-Type fields; a proxy in front must not pick another.
    const jsonFirst = await raw(postReadings(['application/json', 'text/plain']));
    expect(jsonFirst.status).toBe(200);
    const textFirst = await raw(postReadings(['text/plain', 'application/json']));
    expect(textFirst.status).toBe(415);
  });

  it('takes text/plain on POST /v1/idco but refuses JSON and look-alikes there', async () => {
    const post = (type: string) =>
      raw(`POST /v1/idco HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${w.key}\r\nContent-Type: ${type}\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello`);
    expect((await post('text/plain; charset=utf-8')).status).toBe(400); // read, and answered AE
    for (const type of ['application/json', 'application/hl7-v2x', 'text/plainx', 'text/html']) {
      expect((await post(type)).status, type).toBe(415);
    }
  });

  it('takes JSON only on POST /v1/session', async () => {
    const user = await seedUser(w.tdb.db, 'clinician', [w.site]);
    const body = JSON.stringify({ email: user.email, password: user.password });
    const post = (type: string) =>
      raw(`POST /v1/session HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: ${w.svc.httpUrl}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    expect((await post('application/json\t')).status).toBe(200);
    expect((await post('text/plain')).status).toBe(415);
    expect((await post('application/x-www-form-urlencoded')).status).toBe(415);
    await expectUnharmed(w);
  });
});

describe('just over each limit', () => {
  /** A JSON readings body padded with a filler field to exactly `size` bytes. */
  const sized = (size: number) => {
    const base = JSON.stringify({ readings: readings('LIM-1', ++seq, 1), pad: '' });
    return `${base.slice(0, -2)}${'x'.repeat(size - base.length)}"}`;
  };

  it('HTTP body: INGEST_MAX_BODY_BYTES is taken, one byte more is 413', async () => {
    expect(Buffer.byteLength(sized(BODY))).toBe(BODY);
    const at = await raw(postReadings(['application/json'], sized(BODY)));
    expect(at.status, at.body).toBe(200);
    const over = await raw(postReadings(['application/json'], sized(BODY + 1)));
    expect(over.status).toBe(413);
    expect(JSON.parse(over.body)).toMatchObject({ code: 'payload_too_large' });
  });

  it('HTTP body: a Content-Length over the limit is refused before the body arrives', async () => {
    const res = await raw(`POST /v1/readings HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${w.key}\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\nConnection: close\r\n\r\n{`);
    expect(res.status).toBe(413);
  });

  it('WebSocket frame: INGEST_MAX_FRAME_BYTES is answered, one byte more closes that socket with 1009', async () => {
    const gw = await TestGateway.open(w.svc.wsUrl, w.key);
    const frame = (size: number) => {
      const base = JSON.stringify({ type: 'readings', id: `f${size}`, readings: readings('LIM-2', ++seq, 1), pad: '' });
      return `${base.slice(0, -2)}${'x'.repeat(size - base.length)}"}`;
    };
    gw.sendRaw(frame(FRAME));
    expect(await gw.reply(`f${FRAME}`)).toMatchObject({ type: 'ack', accepted: 1 });
    const bystander = await TestGateway.open(w.svc.wsUrl, w.key);
    gw.sendRaw(frame(FRAME + 1));
    expect((await gw.closed).code).toBe(1009);
    expect(await bystander.batch('after-1009', readings('LIM-3', 1, 1))).toMatchObject({ accepted: 1 });
    bystander.close();
    await expectUnharmed(w);
  });

  it('IDCO body: IDCO_MAX_BYTES is read (and answered AE), one byte more is 413', async () => {
    const post = (size: number) =>
      raw(Buffer.concat([
        Buffer.from(`POST /v1/idco HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${w.key}\r\nContent-Type: application/hl7-v2\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`),
        Buffer.alloc(size, 0x41),
      ]));
    expect((await post(IDCO)).status).toBe(400);
    expect((await post(IDCO + 1)).status).toBe(413);
  });

  it('sign-in body: 4 KiB is read, one byte more is 413', async () => {
    const post = (size: number) => {
      const base = JSON.stringify({ email: 'nobody@clinic.example', password: '' });
      const body = `${base.slice(0, -2)}${'p'.repeat(size - base.length)}"}`;
      return raw(`POST /v1/session HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: ${w.svc.httpUrl}\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n${body}`);
    };
    expect([400, 401]).toContain((await post(4096)).status);
    expect((await post(4097)).status).toBe(413);
  });
});

describe('floods', () => {
  it('stops reading a gateway that floods tiny frames and does not read its replies; others are served', async () => {
    const ws = new WebSocket(w.svc.wsUrl, { headers: { authorization: `Bearer ${w.key}` } });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    let replies = 0;
    ws.on('message', () => replies++);
    ws.pause(); // a peer that never reads
    const FRAMES = 300_000;
    for (let i = 0; i < FRAMES; i++) ws.send('{}');
    await new Promise((r) => setTimeout(r, 3000));
    const [server] = [...w.svc.app.websocketServer.clients].filter((c) => c.isPaused);
    // Throttled: the server stopped reading it, with its unsent replies bounded.
    expect(server, 'the flooding socket is paused by the server').toBeDefined();
    expect(server!.bufferedAmount).toBeLessThan(MAX_UNREAD_REPLY_BYTES + 1024 * 1024);
    const started = Date.now();
    await expectUnharmed(w);
    expect(Date.now() - started).toBeLessThan(5000);
    // Once it reads again, every frame is answered: nothing was dropped.
    ws.resume();
    for (let i = 0; i < 200 && replies < FRAMES; i++) await new Promise((r) => setTimeout(r, 100));
    expect(replies).toBe(FRAMES);
    ws.close();
  });

  it('throttles a flood of frames that need storage (status requests) and answers them all', async () => {
    const gw = await TestGateway.open(w.svc.wsUrl, w.key);
    const N = 2000;
    for (let i = 0; i < N; i++) gw.sendRaw(JSON.stringify({ type: 'status', id: `s${i}`, devices: ['CT-1'] }));
    const bystander = await TestGateway.open(w.svc.wsUrl, w.key);
    expect(await bystander.batch('during-flood', readings('FLOOD-B', 1, 1))).toMatchObject({ accepted: 1 });
    bystander.close();
    expect(await gw.reply(`s${N - 1}`)).toMatchObject({ type: 'status' });
    gw.close();
    await expectUnharmed(w);
  });
});

describe('too many headers on the upgrade', () => {
  const upgrade = (headers: string) =>
    raw(`GET /v1/ingest HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${w.key}\r\n${headers}\r\n`, 2000);

  it('answers 431 (or closes) when the headers exceed Node\'s 16 KiB limit', async () => {
    const res = await upgrade(Array.from({ length: 3000 }, (_, i) => `X-Pad-${i}: v\r\n`).join(''));
    expect([431, null]).toContain(res.status);
    const one = await upgrade(`X-Big: ${'v'.repeat(20_000)}\r\n`);
    expect([431, null]).toContain(one.status);
    await expectUnharmed(w);
  });

  it('survives more header fields than Node counts (2,000) within the size limit', async () => {
    const res = await upgrade(Array.from({ length: 2500 }, (_, i) => `${i.toString(36)}: v\r\n`).join(''));
    // Node drops the fields past its count: the upgrade is judged on what is left.
    expect([101, 400, 401, 431, null]).toContain(res.status);
    await expectUnharmed(w);
  });
});
