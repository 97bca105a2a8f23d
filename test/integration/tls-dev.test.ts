// TLS=dev and production: the development pair is made once into the data folder (0600,
// the folder 0700, its parent left traversable), kept across starts, made again when
// unusable; production refuses to start without a certificate (exit 78) and refuses the
// development certificate.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureDevCertificate } from '../../src/tls/dev-cert.ts';
import { loadStartupMaterial } from '../../src/tls/index.ts';
import { ConfigError, loadConfig } from '../../src/config/index.ts';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'telemetry-tls-dev-'));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));
const lines: Array<{ level: number; msg: string }> = [];
const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as { level: number; msg: string }) });
const mode = (p: string) => fs.statSync(p).mode & 0o777;

describe('TLS=dev', () => {
  const config = loadConfig({ TLS: 'dev', DATA_DIR: 'data/pg' }, base);
  const dir = config.tls.devDir;

  it('makes a certificate for localhost into data/tls, 0600, and says so', async () => {
    expect(dir).toBe(path.join(base, 'data', 'tls'));
    const paths = await ensureDevCertificate(dir, log);
    expect(paths.certFile).toBe(config.tls.files?.certFile);
    for (const f of [paths.certFile, paths.keyFile, paths.caFile]) expect(mode(f), f).toBe(0o600);
    expect(mode(dir)).toBe(0o700);
    expect(mode(path.join(base, 'data')) & 0o055).not.toBe(0); // still traversable by others
    const cert = new X509Certificate(fs.readFileSync(paths.certFile));
    expect(cert.subjectAltName).toContain('DNS:localhost');
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(cert.checkIssued(new X509Certificate(fs.readFileSync(paths.caFile)))).toBe(true);
    expect(fs.readdirSync(dir).sort()).toEqual(['dev-ca.pem', 'dev-cert.pem', 'dev-key.pem']); // no CA key
    expect(lines.filter((l) => l.msg.startsWith('TLS=dev: generated'))).toHaveLength(1);
    expect((await loadStartupMaterial(config))?.info.serial).toBe(cert.serialNumber);
  });

  it('keeps the pair across starts, and makes it again when it is unusable', async () => {
    const { certFile, keyFile } = await ensureDevCertificate(dir, log);
    const serial = () => new X509Certificate(fs.readFileSync(certFile)).serialNumber;
    const first = serial();
    await ensureDevCertificate(dir, log);
    expect(serial()).toBe(first);
    fs.writeFileSync(keyFile, 'not a key');
    await ensureDevCertificate(dir, log);
    expect(serial()).not.toBe(first);
    expect(lines.filter((l) => l.msg.startsWith('TLS=dev: generated'))).toHaveLength(2);
  });

  it('is refused in production, even as certificate files', async () => {
    const files = { TLS_CERT_FILE: path.join(dir, 'dev-cert.pem'), TLS_KEY_FILE: path.join(dir, 'dev-key.pem'), MASTER_KEY_FILE: path.join(base, 'none.keys') };
    const prod = loadConfig({ NODE_ENV: 'production', ...files }, base);
    await expect(loadStartupMaterial(prod)).rejects.toThrow(ConfigError);
    await expect(loadStartupMaterial(prod)).rejects.toThrow(/TLS_CERT_FILE: is the generated development certificate/);
  });
});

describe('a broken certificate at start', () => {
  it('is a ConfigError naming the file', async () => {
    const cert = path.join(base, 'cert.pem');
    fs.writeFileSync(cert, 'garbage');
    const config = loadConfig({ TLS_CERT_FILE: cert, TLS_KEY_FILE: path.join(base, 'missing.pem') }, base);
    await expect(loadStartupMaterial(config)).rejects.toThrow(/cannot read the private key .*missing\.pem: ENOENT/);
  });
});

describe('NODE_ENV=production without a certificate', () => {
  it('refuses to start with exit 78, naming TLS_CERT_FILE', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: { ...process.env, NODE_ENV: 'production', PORT: '0', TLS_CERT_FILE: '', TLS_KEY_FILE: '', TLS: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(78);
    expect(run.stderr).toContain('TLS_CERT_FILE: required when NODE_ENV=production');
  });
});
