import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { readings } from '../helpers/gateway.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';

// Registration policy per site: `auto` registers a serial unknown to the service on its first
// reading (as always); `pending` holds it for an admin, refusing its readings as
// forbidden_device (quarantined, nothing lost) until approved, when the gateway's resends
// are stored once. A gateway cannot tell another site's device from one never seen.

let tdb: TestDatabase;
let svc: RunningService;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url);
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

const admin = (...args: string[]): Promise<CliResult> => runCli('src/admin/cli.ts', args, tdb.url);

const stored = async (serial: string) =>
  Number((await sql<{ n: number }>`SELECT count(*) AS n FROM readings r JOIN devices d ON d.id = r.device_id WHERE d.serial = ${serial}`.execute(tdb.db)).rows[0]!.n);
const quarantined = async (serial: string) =>
  Number((await sql<{ n: number }>`SELECT count(*) AS n FROM quarantine WHERE raw->>'device' = ${serial} AND code = 'forbidden_device'`.execute(tdb.db)).rows[0]!.n);
const deviceSite = async (serial: string) =>
  (await sql<{ code: string }>`SELECT s.code FROM devices d JOIN sites s ON s.id = d.site_id WHERE d.serial = ${serial}`.execute(tdb.db)).rows[0]?.code;
const audits = async (action: string) =>
  (await sql<{ device_id: number | null; detail: Record<string, unknown> }>`SELECT device_id, detail FROM audit_log WHERE action = ${action} ORDER BY id`.execute(tdb.db)).rows;

describe('registration policy auto (the default)', () => {
  it('registers a serial unknown to the service to the sending site on its first reading, as before', async () => {
    const gw = await seedGateway(tdb.db);
    const sock = await svc.gateway(gw.key);
    expect(await sock.batch('a1', readings('AUTO-1', 0, 3))).toMatchObject({ accepted: 3, duplicates: 0, rejected: [] });
    expect(await deviceSite('AUTO-1')).toBe(gw.site);
    expect(await stored('AUTO-1')).toBe(3);
    const pending = await admin('device', 'pending', '--json');
    expect(pending.code).toBe(0);
    expect((JSON.parse(pending.stdout) as Array<{ serial: string }>).map((p) => p.serial)).not.toContain('AUTO-1');
    sock.close();
  });
});

describe('registration policy pending', () => {
  it('holds an unknown serial, loses none of its readings, and stores the resends once after approval', async () => {
    const gw = await seedGateway(tdb.db);
    const sock = await svc.gateway(gw.key);
    // A device registered while the site was still `auto` keeps working after the switch.
    expect(await sock.batch('k0', readings('KNOWN-1', 0, 1))).toMatchObject({ accepted: 1 });
    const set = await admin('site', 'policy', gw.site, 'pending');
    expect(set).toMatchObject({ code: 0 });
    expect(set.stdout).toContain(`site "${gw.site}": registration policy pending (was auto)`);

    const batch = [...readings('HELD-1', 0, 3), ...readings('KNOWN-1', 1, 1)];
    const first = await sock.batch('p1', batch);
    expect(first).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(first.rejected).toEqual([0, 1, 2].map((index) => ({ index, code: 'forbidden_device', message: "device HELD-1 is not registered to this gateway's site" })));
    expect(await deviceSite('HELD-1')).toBeUndefined();
    expect(await quarantined('HELD-1')).toBe(3);

    // Resent before any decision: refused again, counted again; still no device.
    expect(await sock.batch('p2', batch)).toMatchObject({ accepted: 0, duplicates: 1, rejected: [{ index: 0 }, { index: 1 }, { index: 2 }] });
    const listed = await admin('device', 'pending', '--site', gw.site, '--json');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ serial: 'HELD-1', site: gw.site, readings: 6, gateway_id: gw.id }),
    ]);
    const table = await admin('device', 'pending');
    expect(table.stdout).toMatch(/^serial\s+site\s+first_seen_at\s+last_seen_at\s+readings\s*$/m);
    expect(table.stdout).toMatch(new RegExp(`^HELD-1\\s+${gw.site}\\s+\\S+\\s+\\S+\\s+6\\s*$`, 'm'));

    const approved = await admin('device', 'approve', 'HELD-1');
    expect(approved).toMatchObject({ code: 0 });
    expect(approved.stdout).toContain(`device HELD-1 registered to site "${gw.site}"`);
    expect(await deviceSite('HELD-1')).toBe(gw.site);
    expect((await admin('device', 'pending', '--json')).stdout).not.toContain('HELD-1');
    const [audit] = await audits('device.approve');
    expect(audit).toMatchObject({ device_id: expect.any(Number), detail: { siteId: expect.any(Number), via: 'admin-cli' } });

    // The gateway resends what was refused: stored once, and once only however often it resends.
    expect(await sock.batch('p3', batch)).toEqual({ type: 'ack', id: 'p3', accepted: 3, duplicates: 1, rejected: [] });
    expect(await sock.batch('p4', batch)).toEqual({ type: 'ack', id: 'p4', accepted: 0, duplicates: 4, rejected: [] });
    expect(await stored('HELD-1')).toBe(3);
    expect(await stored('KNOWN-1')).toBe(2);
    // What was refused meanwhile is still in the quarantine, with its reason.
    expect(await quarantined('HELD-1')).toBe(6);
    sock.close();
  });

  it('keeps refusing a rejected serial, and a rejected serial can still be approved later', async () => {
    const gw = await seedGateway(tdb.db);
    expect((await admin('site', 'policy', gw.site, 'pending')).code).toBe(0);
    const sock = await svc.gateway(gw.key);
    await sock.batch('r1', readings('REJ-1', 0, 2));
    const rejected = await admin('device', 'reject', 'REJ-1', '--site', gw.site);
    expect(rejected).toMatchObject({ code: 0 });
    expect(await audits('device.reject')).toEqual([expect.objectContaining({ device_id: null, detail: expect.objectContaining({ via: 'admin-cli' }) })]);
    expect((await admin('device', 'pending', '--json')).stdout).not.toContain('REJ-1');
    expect(await sock.batch('r2', readings('REJ-1', 0, 2))).toMatchObject({ accepted: 0, rejected: [{ code: 'forbidden_device' }, { code: 'forbidden_device' }] });
    expect(await deviceSite('REJ-1')).toBeUndefined();
    expect(await admin('device', 'reject', 'REJ-1')).toMatchObject({ code: 1, stderr: expect.stringContaining('no serial REJ-1 waiting for a decision') });
    expect((await admin('device', 'approve', 'REJ-1')).code).toBe(0);
    expect(await sock.batch('r3', readings('REJ-1', 0, 2))).toMatchObject({ accepted: 2, rejected: [] });
    sock.close();
  });

  it('asks which site when two sites hold the same serial', async () => {
    const a = await seedGateway(tdb.db);
    const b = await seedGateway(tdb.db);
    for (const gw of [a, b]) {
      expect((await admin('site', 'policy', gw.site, 'pending')).code).toBe(0);
      const sock = await svc.gateway(gw.key);
      await sock.batch('t', readings('TWICE-1', 0, 1));
      sock.close();
    }
    const ambiguous = await admin('device', 'approve', 'TWICE-1');
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toContain(`serial TWICE-1 is held at sites "${a.site}", "${b.site}": say which with --site <code>`);
    expect((await admin('device', 'approve', 'TWICE-1', '--site', b.site)).code).toBe(0);
    expect(await deviceSite('TWICE-1')).toBe(b.site);
    // Now another site's device for a: the same refusal as before, and nothing left to decide.
    expect(await admin('device', 'approve', 'TWICE-1', '--site', a.site)).toMatchObject({ code: 1, stderr: expect.stringContaining('registered already') });
  });
});

describe("the gateway's answer does not reveal other sites' devices", () => {
  it('answers a device of another site exactly as a serial never seen, over WebSocket and HTTP', async () => {
    const owner = await seedGateway(tdb.db);
    const ownerSock = await svc.gateway(owner.key);
    expect(await ownerSock.batch('o', readings('ELSEWHERE-1', 0, 1))).toMatchObject({ accepted: 1 });
    ownerSock.close();
    const probe = await seedGateway(tdb.db);
    expect((await admin('site', 'policy', probe.site, 'pending')).code).toBe(0);
    const sock = await svc.gateway(probe.key);
    const [elsewhere, never] = [readings('ELSEWHERE-1', 5, 1)[0]!, readings('NEVERSEEN-1', 5, 1)[0]!];
    const ack = await sock.batch('same', [elsewhere, never]);
    const rejected = ack.rejected as Array<{ index: number; code: string; message: string }>;
    expect(rejected).toHaveLength(2);
    const anonymous = rejected.map((r) => ({ code: r.code, message: r.message.replace(r.index === 0 ? 'ELSEWHERE-1' : 'NEVERSEEN-1', '<serial>') }));
    expect(anonymous[0]).toEqual(anonymous[1]);
    expect(JSON.stringify(ack)).not.toContain(owner.site);
    expect(JSON.stringify(ack)).not.toMatch(/another site|belongs/);

    // The resume query says null for both, too.
    sock.sendRaw(JSON.stringify({ type: 'status', id: 's', devices: ['ELSEWHERE-1', 'NEVERSEEN-1'] }));
    expect(await sock.reply('s')).toMatchObject({ devices: { 'ELSEWHERE-1': null, 'NEVERSEEN-1': null } });
    sock.close();

    const post = async (device: string) => {
      const res = await fetch(`${svc.httpUrl}/v1/readings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${probe.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ readings: readings(device, 9, 1) }),
      });
      const body = (await res.json()) as { rejected: Array<{ code: string; message: string }> };
      return { status: res.status, rejected: body.rejected.map((r) => ({ code: r.code, message: r.message.replace(device, '<serial>') })) };
    };
    expect(await post('ELSEWHERE-1')).toEqual(await post('NEVERSEEN-2'));
  });
});
