import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/index.ts';
import { VARS } from '../../../src/config/schema.ts';
import { ERRORS } from '../../../src/errors.ts';

describe('loadConfig', () => {
  it('has working defaults: embedded PostgreSQL, port 3000, 1 MiB frames', () => {
    const c = loadConfig({}, '/srv/app');
    expect(c.databaseUrl).toBeNull();
    expect(c.dataDir).toBe('/srv/app/data/pg');
    expect(c.port).toBe(3000);
    expect(c.ingest.maxFrameBytes).toBe(1024 * 1024);
    expect(Object.isFrozen(c) && Object.isFrozen(c.ingest)).toBe(true);
  });

  it('lists every problem at once', () => {
    try {
      loadConfig({ PORT: 'eighty', INGEST_MAX_BATCH: '6000', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const vars = (e as ConfigError).issues.map((i) => i.variable).sort();
      expect(vars).toEqual(['DATABASE_URL', 'INGEST_MAX_BATCH', 'LOG_LEVEL', 'PORT']);
      expect((e as Error).message).toContain('PORT: expected a whole number, got "eighty"');
    }
  });

  it('requires room in the write queue for a full batch', () => {
    expect(() => loadConfig({ INGEST_MAX_QUEUED_ROWS: '9999' })).toThrow(/INGEST_MAX_QUEUED_ROWS/);
    expect(loadConfig({ INGEST_MAX_QUEUED_ROWS: '200', INGEST_MAX_BATCH: '100' }).ingest.maxQueuedRows).toBe(200);
  });

  it('reads DATABASE_LISTEN_URL (the LISTEN connection, PostgreSQL directly) only beside DATABASE_URL', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@pgbouncer:6432/t' }).databaseListenUrl).toBeNull();
    const c = loadConfig({ DATABASE_URL: 'postgres://u@pgbouncer:6432/t', DATABASE_LISTEN_URL: 'postgresql://u@postgres:5432/t' });
    expect(c.databaseListenUrl).toBe('postgresql://u@postgres:5432/t');
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u@pgbouncer:6432/t', DATABASE_LISTEN_URL: 'mysql://x' })).toThrow(/DATABASE_LISTEN_URL: must start with postgres/);
    expect(() => loadConfig({ DATABASE_LISTEN_URL: 'postgres://u@postgres:5432/t' })).toThrow(/DATABASE_LISTEN_URL: only with DATABASE_URL/);
  });

  it('requires the idle timeout to exceed the ping interval', () => {
    expect(() => loadConfig({ INGEST_PING_MS: '5000', INGEST_IDLE_MS: '5000' })).toThrow(/INGEST_IDLE_MS/);
  });
});

describe('session settings', () => {
  it('default to a 30-minute idle timeout, a 12-hour lifetime and cookies without Secure', () => {
    expect(loadConfig({}).sessions).toEqual({ idleMs: 30 * 60_000, maxMs: 12 * 3_600_000, secure: false });
  });
  it('read SESSION_IDLE_MINUTES, SESSION_MAX_HOURS and COOKIE_SECURE', () => {
    const c = loadConfig({ SESSION_IDLE_MINUTES: '15', SESSION_MAX_HOURS: '8', COOKIE_SECURE: 'true' });
    expect(c.sessions).toEqual({ idleMs: 15 * 60_000, maxMs: 8 * 3_600_000, secure: true });
  });
  it('refuse a COOKIE_SECURE other than true or false, and an idle timeout longer than the lifetime', () => {
    expect(() => loadConfig({ COOKIE_SECURE: 'yes' })).toThrow(/COOKIE_SECURE/);
    expect(() => loadConfig({ SESSION_IDLE_MINUTES: '120', SESSION_MAX_HOURS: '1' })).toThrow(/SESSION_IDLE_MINUTES: must not exceed/);
  });
});

describe('the README', () => {
  const readme = fs.readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  it('reads TRUST_PROXY as proxy addresses or a hop count, and never as "trust everyone"', () => {
    expect(loadConfig({}).trustProxy).toBeNull();
    expect(loadConfig({ TRUST_PROXY: '10.0.0.5, 10.1.0.0/16,::1' }).trustProxy).toBe('10.0.0.5,10.1.0.0/16,::1');
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    for (const bad of ['true', '*', '10.0.0.0/33', '0', '11', 'proxy.example', '10.0.0.1/8/1']) {
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(ConfigError);
    }
  });

  it('documents every configuration variable', () => {
    for (const name of Object.keys(VARS)) expect(readme, name).toContain(`| \`${name}\``);
  });
  it('lists exactly the error codes of the table, with their HTTP status', () => {
    const section = readme.slice(readme.indexOf('## Error codes'));
    const rows = [...section.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(Object.entries(ERRORS).map(([k, v]) => [k, v.status])));
  });
});

describe('alert settings', () => {
  it('default to escalation after 15 minutes, checked every 30 s, and snoozes of at most 7 days', () => {
    expect(loadConfig({}).alerts).toEqual({ escalationMs: 15 * 60_000, escalationCheckMs: 30_000, maxSnoozeMs: 7 * 24 * 3_600_000, streamMaxBufferedBytes: 1_048_576, streamSessionCheckMs: 60_000, streamPollMs: 1000 });
  });
  it('read ALERT_ESCALATION_MINUTES, ALERT_ESCALATION_CHECK_MS and ALERT_SNOOZE_MAX_HOURS', () => {
    const c = loadConfig({ ALERT_ESCALATION_MINUTES: '5', ALERT_ESCALATION_CHECK_MS: '1000', ALERT_SNOOZE_MAX_HOURS: '24' });
    expect(c.alerts).toMatchObject({ escalationMs: 5 * 60_000, escalationCheckMs: 1000, maxSnoozeMs: 24 * 3_600_000 });
  });
  it('refuse a zero period and a check rarer than the period', () => {
    expect(() => loadConfig({ ALERT_ESCALATION_MINUTES: '0' })).toThrow(/ALERT_ESCALATION_MINUTES/);
    expect(() => loadConfig({ ALERT_ESCALATION_MINUTES: '1', ALERT_ESCALATION_CHECK_MS: '60000' })).toThrow(/ALERT_ESCALATION_CHECK_MS: must be shorter/);
  });
});
