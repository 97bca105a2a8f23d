import { describe, expect, it } from 'vitest';
import { UsageError, parseCli } from '../../../simulators/cli-args.ts';

describe('simulate command line', () => {
  it('parses the documented options', () => {
    const cli = parseCli(['--patients', '500', '--days', '365', '--seed', '7', '--speed', '3600', '--url',
      'ws://localhost:3000/v1/ingest', '--key', 'k1', '--gateways', '5', '--relays', '3', '--hourly-hr',
      '--late-share', '0.05', '--start', '2025-01-01', '--truth', 't.json']);
    expect(cli.sim).toMatchObject({
      patients: 500, days: 365, seed: '7', speed: 3600, url: 'ws://localhost:3000/v1/ingest', key: 'k1',
      gateways: 5, relays: 3, hourlyHr: true, lateShare: 0.05, start: Date.UTC(2025, 0, 1), truth: 't.json',
    });
  });

  it('takes a key per site', () => {
    const cli = parseCli(['--url', 'ws://h/v1/ingest', '--key', 'north=a', '--key', 'south=b']);
    expect(cli.sim.key).toEqual({ north: 'a', south: 'b' });
    expect(cli.sim.sites).toEqual(['north', 'south']);
  });

  it.each([
    [['--patients', 'x', '--out', 'f']],
    [['--speed', 'fast', '--out', 'f']],
    [['--late-share', '2', '--out', 'f']],
    [['--start', 'yesterday', '--out', 'f']],
    [['--bogus']],
    [['--patients', '3']],
    [['--url', 'ws://h/v1/ingest']],
    [['--url', 'ws://h/v1/ingest', '--key', 'a=1', '--sites', 'a,b']],
  ])('refuses %j with a usage error', (argv) => {
    expect(() => parseCli(argv)).toThrow(UsageError);
  });

  it('answers --help', () => {
    expect(parseCli(['--help']).help).toBe(true);
  });

  it('takes the noise profile, calibrated unless told, and refuses an unknown one', () => {
    const base = ['--out', 'x.ndjson'];
    expect(parseCli(base).sim.profile).toBe('calibrated');
    expect(parseCli([...base, '--noise', 'clean']).sim.profile).toBe('clean');
    expect(parseCli([...base, '--noise', 'double']).sim.profile).toBe('double');
    expect(() => parseCli([...base, '--noise', 'loud'])).toThrow(/--noise must be one of clean, calibrated, double, got "loud"/);
  });
});
