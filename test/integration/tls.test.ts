// TLS on every listener: a gateway over WSS that trusts the service's CA, plain HTTP refused
// on the TLS port, HSTS and Secure cookies, a renewed certificate served to the next
// connection without a restart (a broken one logged and the old kept), and /health/ready
// saying whether TLS is on. Certificates are made at test time (test/helpers/tls.ts).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { readings } from '../helpers/gateway.ts';
import { createTestPki, serialOf, type TestPki } from '../helpers/tls.ts';
import { httpsRequest, rawExchange, servedSerial } from '../helpers/https.ts';
import { seedUser } from '../helpers/people.ts';

let tdb: TestDatabase;
let pki: TestPki;
let svc: RunningService;
let gatewayKey: string;
const logLines: Array<Record<string, unknown>> = [];
const port = () => Number(new URL(svc.httpUrl).port);

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  pki = await createTestPki();
  gatewayKey = (await seedGateway(tdb.db, 'tls')).key;
  svc = await startService(tdb.db, tdb.url, { ...pki.env, TLS_WATCH_MS: '100', LOG_LEVEL: 'info' }, {
    write: (line) => void logLines.push(JSON.parse(line) as Record<string, unknown>),
  });
});

afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
  pki?.remove();
});

describe('HTTPS and WSS', () => {
  it('a gateway that trusts the service CA streams readings over WSS and gets acks', async () => {
    expect(svc.wsUrl).toMatch(/^wss:/);
    const gw = await svc.gateway(gatewayKey, {}, true, { ca: pki.ca.cert });
    for (let b = 0; b < 3; b++) {
      const ack = await gw.batch(`tls-${b}`, readings('TLS-WSS-1', 1 + b * 50, 50));
      expect(ack).toMatchObject({ type: 'ack', id: `tls-${b}`, accepted: 50, duplicates: 0, rejected: [] });
    }
    gw.close();
    const stored = await tdb.db.selectFrom('readings').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(150);
  });

  it('a client that does not trust the CA is refused by its own check', async () => {
    await expect(svc.gateway(gatewayKey)).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
  });

  it('plain HTTP to the TLS port fails, and the port keeps serving HTTPS', async () => {
    await expect(fetch(`http://127.0.0.1:${port()}/health/live`)).rejects.toThrow();
    const plain = await rawExchange(port(), Buffer.from('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(plain.reply.toString('latin1')).not.toContain('HTTP/1.1 200');
    const res = await httpsRequest(`${svc.httpUrl}/health/live`, pki.ca.cert);
    expect(res.status).toBe(200);
  });

  it('refuses a garbage handshake cleanly and keeps serving', async () => {
    // Bytes that are no TLS record, and a handshake record of an unknown version.
    for (const garbage of [Buffer.alloc(2000, 0x41), Buffer.from([0x16, 0x09, 0x09, 0x00, 0x05, 1, 2, 3, 4, 5])]) {
      const answered = await rawExchange(port(), garbage);
      expect(answered.reply.toString('latin1')).not.toContain('HTTP/');
    }
    const gw = await svc.gateway(gatewayKey, {}, true, { ca: pki.ca.cert });
    expect(await gw.batch('after-garbage', readings('TLS-WSS-2', 1, 5))).toMatchObject({ accepted: 5 });
    gw.close();
    expect(logLines.filter((l) => Number(l.level) >= 50)).toEqual([]);
  });

  it('sends HSTS and marks the session cookie Secure by default', async () => {
    const live = await httpsRequest(`${svc.httpUrl}/health/live`, pki.ca.cert);
    expect(live.headers['strict-transport-security']).toBe('max-age=31536000');
    const page = await httpsRequest(`${svc.httpUrl}/`, pki.ca.cert);
    expect(page.headers['strict-transport-security']).toBe('max-age=31536000');
    const missing = await httpsRequest(`${svc.httpUrl}/v1/nothing-here`, pki.ca.cert);
    expect(missing.status).toBe(404);
    expect(missing.headers['strict-transport-security']).toBe('max-age=31536000');
    const user = await seedUser(tdb.db, 'clinician', ['tls']);
    const signIn = await httpsRequest(`${svc.httpUrl}/v1/session`, pki.ca.cert, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: svc.httpUrl },
      body: JSON.stringify({ email: user.email, password: user.password }),
    });
    expect(signIn.status).toBe(200);
    const cookie = [signIn.headers['set-cookie'] ?? []].flat().join('\n');
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/HttpOnly/);
  });

  it('/health/ready says TLS is on', async () => {
    const res = await httpsRequest(`${svc.httpUrl}/health/ready`, pki.ca.cert);
    expect(JSON.parse(res.body)).toEqual({ status: 'ready', tls: true });
  });
});

describe('a renewed certificate', () => {
  it('is served to the next connection, while an open one keeps working; a broken pair is logged and the old kept', async () => {
    const before = await servedSerial(port(), pki.ca.cert);
    expect(before).toBe(serialOf(pki.server.cert));
    const open = await svc.gateway(gatewayKey, {}, true, { ca: pki.ca.cert });
    const renewed = await pki.renew();
    expect(serialOf(renewed.cert)).not.toBe(before);
    await expect.poll(() => servedSerial(port(), pki.ca.cert), { timeout: 15_000, interval: 100 }).toBe(serialOf(renewed.cert));
    // The socket made before the swap is still served.
    expect(await open.batch('after-swap', readings('TLS-WSS-3', 1, 3))).toMatchObject({ accepted: 3 });
    open.close();

    // A key of another certificate over the served one: refused, logged, the renewed pair kept.
    const stray = await pki.client('stray');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(pki.files.key, stray.key);
    await expect.poll(() => logLines.some((l) => String(l.msg).startsWith('TLS certificate change not loaded')), { timeout: 15_000, interval: 100 }).toBe(true);
    expect(await servedSerial(port(), pki.ca.cert)).toBe(serialOf(renewed.cert));
    const line = logLines.find((l) => String(l.msg).startsWith('TLS certificate change not loaded'))!;
    expect(JSON.stringify(line)).toContain('does not belong to the certificate');
    expect(JSON.stringify(line)).not.toContain('PRIVATE KEY');
    // The next good renewal is loaded again.
    const third = await pki.renew();
    await expect.poll(() => servedSerial(port(), pki.ca.cert), { timeout: 15_000, interval: 100 }).toBe(serialOf(third.cert));
  });
});

describe('TLS off', () => {
  it('/health/ready says so, and the listener is plain HTTP without HSTS or Secure cookies', async () => {
    const plain = await startService(tdb.db, tdb.url, {});
    try {
      expect(plain.httpUrl).toMatch(/^http:/);
      const res = await fetch(`${plain.httpUrl}/health/ready`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ready', tls: false });
      expect(res.headers.get('strict-transport-security')).toBeNull();
      expect(plain.config.sessions.secure).toBe(false);
    } finally {
      await plain.close();
    }
  });
});
