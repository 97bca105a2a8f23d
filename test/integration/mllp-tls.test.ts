// MLLP over TLS: interface engines trusting the service's CA get their ACKs; with
// MLLP_CLIENT_CERT=required only a sender with a certificate of TLS_CLIENT_CA_FILE is served
// (none, or one of another CA, fails the handshake); a plaintext sender and a garbage
// handshake are refused, and the listener keeps serving everyone else.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { MllpClient, seg } from '../helpers/mllp.ts';
import { createTestPki, type TestPki } from '../helpers/tls.ts';
import { rawExchange } from '../helpers/https.ts';
import { createAuthority } from '../../src/tls/generate.ts';

const MSH = (id: string): string => `MSH|^~\\&|ENGINE|VENDOR|RCV|CLINIC|20260304021500||ORU^R01|${id}|P|2.6`;
const message = (id: string): string =>
  [MSH(id), 'PID|||model:G179/serial:MLLPTLS1^^^BSX^U', 'OBR|1||TX-1|Remote|||20260304020000', 'OBX|1|NM|99999^MDC_X_UNKNOWN^MDC|1|1|ms|||||F|||20260304020000'].join('\r');

let tdb: TestDatabase;
let pki: TestPki;
const services: RunningService[] = [];
const logLines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  pki = await createTestPki();
});
afterAll(async () => {
  for (const s of services) await s.close();
  await tdb?.drop();
  pki?.remove();
});

async function service(env: Record<string, string>): Promise<number> {
  const gw = await seedGateway(tdb.db);
  const svc = await startService(tdb.db, tdb.url, { ...pki.env, MLLP_PORT: '0', MLLP_GATEWAY_KEY: gw.key, LOG_LEVEL: 'info', ...env }, {
    write: (line) => void logLines.push(JSON.parse(line) as Record<string, unknown>),
  });
  services.push(svc);
  return svc.app.mllpPort()!;
}

/** Connect, send one message: the ACK's MSA-1, or 'refused' when the connection ends without one. */
async function exchange(port: number, options: Parameters<typeof MllpClient.connectTls>[1], id: string): Promise<string> {
  let client: MllpClient;
  try {
    client = await MllpClient.connectTls(port, options);
  } catch {
    return 'refused';
  }
  const reply = await Promise.race([client.send(message(id)), client.closed.then(() => null)]);
  client.end();
  return reply === null ? 'refused' : (seg(reply, 'MSA')?.[1] ?? 'no MSA');
}

describe('MLLP over TLS without client certificates', () => {
  let port: number;
  beforeAll(async () => {
    port = await service({});
  });

  it('answers a sender that trusts the service CA', async () => {
    expect(await exchange(port, { ca: pki.ca.cert }, 'TLS-1')).toBe('AA');
  });

  it('a sender that does not trust the CA stops at its own check', async () => {
    expect(await exchange(port, {}, 'TLS-2')).toBe('refused');
  });

  it('refuses a plaintext sender and garbage handshakes, and keeps serving', async () => {
    const framed = Buffer.concat([Buffer.from([0x0b]), Buffer.from(message('PLAIN-1')), Buffer.from([0x1c, 0x0d])]);
    const plain = await rawExchange(port, framed);
    expect(plain.reply.toString('latin1')).not.toContain('MSA');
    for (const garbage of [Buffer.alloc(3000, 0x0b), Buffer.from([0x16, 0x09, 0x09, 0x00, 0x03, 1, 2, 3])]) {
      const answered = await rawExchange(port, garbage);
      expect(answered.reply.toString('latin1')).not.toContain('MSA');
    }
    expect(await exchange(port, { ca: pki.ca.cert }, 'TLS-3')).toBe('AA');
    const failures = logLines.filter((l) => l.msg === 'MLLP TLS handshake failed; connection closed');
    expect(failures.length).toBeGreaterThanOrEqual(3);
    expect(logLines.filter((l) => Number(l.level) >= 50)).toEqual([]);
  });
});

describe('MLLP_CLIENT_CERT=required (mutual TLS)', () => {
  let port: number;
  beforeAll(async () => {
    port = await service({ TLS_CLIENT_CA_FILE: pki.files.clientCa, MLLP_CLIENT_CERT: 'required' });
  });

  it('answers a sender whose certificate the client CA signed', async () => {
    const engine = await pki.client('interface-engine-1');
    expect(await exchange(port, { ca: pki.ca.cert, cert: engine.cert, key: engine.key }, 'MTLS-1')).toBe('AA');
    expect(logLines.some((l) => l.msg === 'MLLP client certificate accepted' && l.client === 'interface-engine-1')).toBe(true);
  });

  it('refuses a sender without a certificate, and one with a certificate of another CA', async () => {
    expect(await exchange(port, { ca: pki.ca.cert }, 'MTLS-2')).toBe('refused');
    const other = await createAuthority('someone else CA');
    const stranger = await pki.client('stranger', other);
    expect(await exchange(port, { ca: pki.ca.cert, cert: stranger.cert, key: stranger.key }, 'MTLS-3')).toBe('refused');
    // The service CA's own server certificate is no client certificate of the client CA either.
    expect(await exchange(port, { ca: pki.ca.cert, cert: pki.server.cert, key: pki.server.key }, 'MTLS-4')).toBe('refused');
    const engine = await pki.client('interface-engine-2');
    expect(await exchange(port, { ca: pki.ca.cert, cert: engine.cert, key: engine.key }, 'MTLS-5')).toBe('AA');
    expect(logLines.filter((l) => Number(l.level) >= 50)).toEqual([]);
  });
});

describe('MLLP_CLIENT_CERT=optional', () => {
  it('serves a sender without a certificate and refuses one whose certificate another CA signed', async () => {
    const port = await service({ TLS_CLIENT_CA_FILE: pki.files.clientCa, MLLP_CLIENT_CERT: 'optional' });
    expect(await exchange(port, { ca: pki.ca.cert }, 'OPT-1')).toBe('AA');
    const stranger = await pki.client('stranger', await createAuthority('another CA'));
    expect(await exchange(port, { ca: pki.ca.cert, cert: stranger.cert, key: stranger.key }, 'OPT-2')).toBe('refused');
    const engine = await pki.client('interface-engine-3');
    expect(await exchange(port, { ca: pki.ca.cert, cert: engine.cert, key: engine.key }, 'OPT-3')).toBe('AA');
  });
});

describe('MLLP_TLS=off', () => {
  it('keeps MLLP plain TCP while HTTPS is on', async () => {
    const port = await service({ MLLP_TLS: 'off' });
    const client = await MllpClient.connect(port);
    expect(seg(await client.send(message('PLAINOK-1')), 'MSA')?.[1]).toBe('AA');
    client.end();
  });
});

describe('MLLP_ALLOW with TLS', () => {
  it('closes a peer outside the list before any handshake, and logs no error', async () => {
    const port = await service({ MLLP_ALLOW: '10.9.9.9' });
    const svc = services.at(-1)!;
    expect(await exchange(port, { ca: pki.ca.cert }, 'ALLOW-1')).toBe('refused');
    expect(svc.app.mllpStats()).toMatchObject({ refused: 1, handshakeFailures: 0 });
    expect(logLines.filter((l) => Number(l.level) >= 50)).toEqual([]);
  });
});
