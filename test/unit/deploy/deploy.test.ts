import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composeConfig, haproxyConfig } from '../../../deploy/haproxy/config.ts';
import { VARS } from '../../../src/config/vars.ts';

const read = (file: string) => fs.readFileSync(new URL(`../../../deploy/${file}`, import.meta.url), 'utf8');

describe('deploy/haproxy/haproxy.cfg', () => {
  it('is the generator\'s output (npx tsx deploy/haproxy/config.ts > deploy/haproxy/haproxy.cfg)', () => {
    expect(read('haproxy/haproxy.cfg')).toBe(composeConfig());
  });

  it('checks readiness, balances by connections and keeps WebSocket tunnels longer than the service\'s pings', () => {
    const cfg = composeConfig();
    expect(cfg).toContain('http-check send meth GET uri /health/ready');
    expect(cfg).toContain('balance leastconn');
    expect(cfg).toContain('http-request set-header X-Forwarded-For %[src]');
    const tunnel = /timeout tunnel (\d+)h/.exec(cfg);
    expect(Number(tunnel?.[1]) * 3_600_000).toBeGreaterThan(VARS.INGEST_IDLE_MS.def);
  });

  it('lists the instances it is given, MLLP included', () => {
    const cfg = haproxyConfig({
      httpBind: '127.0.0.1:8000',
      mllp: { bind: '127.0.0.1:8001', allow: ['127.0.0.1'] },
      instances: [{ name: 's1', host: '127.0.0.1', httpPort: 9001, mllpPort: 9101 }, { name: 's2', host: '127.0.0.1', httpPort: 9002, mllpPort: 9102 }],
      check: { interMs: 500, fall: 2, rise: 1 },
      statsSocket: '/tmp/x.sock',
      statsPage: null,
      maxconn: 100,
      log: false,
    });
    expect(cfg).toContain('server s2 127.0.0.1:9002 check');
    expect(cfg).toContain('server s2 127.0.0.1:9102 check');
    expect(cfg).toContain('tcp-request connection reject unless { src 127.0.0.1 }');
    expect(cfg).not.toContain('server-template');
  });
});

describe('deploy/pgbouncer/pgbouncer.ini', () => {
  const ini = read('pgbouncer/pgbouncer.ini');
  it('pools transactions, and sets the service\'s default statement timeout on each server connection', () => {
    expect(ini).toMatch(/^pool_mode = transaction$/m);
    // node-pg sends statement_timeout at connect: PgBouncer refuses the login unless it is ignored.
    expect(ini).toMatch(/^ignore_startup_parameters = .*\bstatement_timeout\b/m);
    expect(ini).toContain(`connect_query='SET statement_timeout = ${VARS.DB_STATEMENT_TIMEOUT_MS.def}'`);
  });
});
