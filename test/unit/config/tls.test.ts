import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { ConfigError, loadConfig } from '../../../src/config/index.ts';
import { announceTls } from '../../../src/tls/index.ts';

const files = { TLS_CERT_FILE: 'tls/cert.pem', TLS_KEY_FILE: 'tls/key.pem' };

/** The problems found with the TLS settings (others, such as a production master key, aside). */
function issuesOf(env: Record<string, string>): string[] {
  const tlsVars = /^(TLS|HSTS|MLLP_TLS|MLLP_CLIENT_CERT|COOKIE_SECURE)/;
  try {
    loadConfig(env, '/srv/app');
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.filter((i) => tlsVars.test(i.variable)).map((i) => `${i.variable}: ${i.problem}`);
    throw e;
  }
  return [];
}

describe('TLS settings', () => {
  it('are off by default: plain listeners, no HSTS, cookies without Secure', () => {
    const c = loadConfig({}, '/srv/app');
    expect(c.tls).toMatchObject({ mode: 'off', files: null, mllp: false, mllpClientCert: 'off', production: false });
    expect(c.sessions.secure).toBe(false);
  });

  it('turn on with a certificate and key: MLLP over TLS, HSTS for a year, Secure cookies', () => {
    const c = loadConfig(files, '/srv/app');
    expect(c.tls).toMatchObject({ mode: 'files', files: { certFile: '/srv/app/tls/cert.pem', keyFile: '/srv/app/tls/key.pem', clientCaFile: null }, mllp: true, mllpClientCert: 'off', hstsMaxAge: 31_536_000, watchMs: 5000 });
    expect(c.sessions.secure).toBe(true);
  });

  it('let an explicit setting win over what TLS implies', () => {
    const c = loadConfig({ ...files, COOKIE_SECURE: 'false', HSTS_MAX_AGE: '0', MLLP_TLS: 'off' }, '/srv/app');
    expect(c.sessions.secure).toBe(false);
    expect(c.tls.hstsMaxAge).toBe(0);
    expect(c.tls.mllp).toBe(false);
    expect(loadConfig({ COOKIE_SECURE: 'true' }).sessions.secure).toBe(true);
  });

  it('require client certificates on MLLP once a client CA is given, unless told otherwise', () => {
    expect(loadConfig({ ...files, TLS_CLIENT_CA_FILE: 'ca.pem' }, '/srv/app').tls).toMatchObject({ mllpClientCert: 'required', files: { clientCaFile: '/srv/app/ca.pem' } });
    expect(loadConfig({ ...files, TLS_CLIENT_CA_FILE: 'ca.pem', MLLP_CLIENT_CERT: 'optional' }).tls.mllpClientCert).toBe('optional');
  });

  it('TLS=dev serves the pair made beside the data directory, without HSTS unless asked', () => {
    const c = loadConfig({ TLS: 'dev' }, '/srv/app');
    expect(c.tls).toMatchObject({ mode: 'dev', devDir: '/srv/app/data/tls', files: { certFile: '/srv/app/data/tls/dev-cert.pem', keyFile: '/srv/app/data/tls/dev-key.pem' }, hstsMaxAge: 0, mllp: true });
    expect(c.sessions.secure).toBe(true);
    expect(loadConfig({ TLS: 'dev', HSTS_MAX_AGE: '600' }).tls.hstsMaxAge).toBe(600);
  });

  it('refuse settings that do not fit together, each said at once', () => {
    expect(issuesOf({ TLS_CERT_FILE: 'c.pem' })).toEqual([expect.stringMatching(/^TLS_KEY_FILE: TLS_CERT_FILE and TLS_KEY_FILE go together/)]);
    expect(issuesOf({ TLS: 'dev', ...files })).toEqual([expect.stringMatching(/^TLS: TLS=dev makes its own certificate/)]);
    expect(issuesOf({ TLS_CLIENT_CA_FILE: 'ca.pem' }).join()).toMatch(/TLS_CLIENT_CA_FILE: needs TLS on/);
    expect(issuesOf({ MLLP_TLS: 'on' })).toEqual([expect.stringMatching(/^MLLP_TLS: needs TLS on/)]);
    expect(issuesOf({ ...files, MLLP_CLIENT_CERT: 'required' })).toEqual([expect.stringMatching(/^MLLP_CLIENT_CERT: required needs MLLP over TLS and TLS_CLIENT_CA_FILE/)]);
    expect(issuesOf({ ...files, TLS_CLIENT_CA_FILE: 'ca.pem', MLLP_TLS: 'off', MLLP_CLIENT_CERT: 'required' })).toHaveLength(1);
    expect(issuesOf({ MLLP_CLIENT_CERT: 'sometimes', TLS: 'yes' })).toHaveLength(2);
  });

  it('refuse to run in production without a certificate, or with TLS=dev', () => {
    expect(issuesOf({ NODE_ENV: 'production' })).toEqual([expect.stringMatching(/^TLS_CERT_FILE: required when NODE_ENV=production/)]);
    expect(issuesOf({ NODE_ENV: 'production', TLS: 'dev' })).toEqual([expect.stringMatching(/^TLS: TLS=dev is refused when NODE_ENV=production/)]);
    expect(issuesOf({ NODE_ENV: 'production', ...files })).toEqual([]);
    expect(issuesOf({ NODE_ENV: 'development' })).toEqual([]);
  });
});

describe('announceTls', () => {
  const said = (env: Record<string, string>) => {
    const lines: Array<{ level: number; msg: string }> = [];
    announceTls(loadConfig(env), pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as { level: number; msg: string }) }));
    return lines;
  };
  it('warns once that TLS is off', () => {
    const lines = said({});
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, msg: expect.stringMatching(/^TLS is off: HTTP, WebSocket and MLLP traffic .* unencrypted/) });
  });
  it('says TLS is on, and warns when MLLP stays plain', () => {
    expect(said(files)).toEqual([expect.objectContaining({ level: 30, msg: 'TLS on: HTTPS and WSS' })]);
    const plainMllp = said({ ...files, MLLP_TLS: 'off', MLLP_PORT: '0', MLLP_GATEWAY_KEY: 'k' });
    expect(plainMllp.map((l) => l.level)).toEqual([30, 40]);
  });
});
