import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { canSeeSite, sessionToken } from '../../../src/auth/guard.ts';

describe('canSeeSite', () => {
  it('lets members see their sites, admins every site', () => {
    const clinician = { id: 1, role: 'clinician', name: 'A', email: 'a@clinic.example', siteIds: [2, 5] } as const;
    expect(canSeeSite(clinician, 2)).toBe(true);
    expect(canSeeSite(clinician, 3)).toBe(false);
    expect(canSeeSite({ ...clinician, role: 'analyst' }, 3)).toBe(false);
    expect(canSeeSite({ ...clinician, role: 'admin', siteIds: [] }, 3)).toBe(true);
  });
});

describe('sessionToken', () => {
  const req = (cookie?: string) => ({ headers: cookie === undefined ? {} : { cookie } }) as unknown as FastifyRequest;
  it('finds the session cookie among others', () => {
    expect(sessionToken(req('theme=dark; session=abc_-1; other=x'))).toBe('abc_-1');
    expect(sessionToken(req('session=tok'))).toBe('tok');
    expect(sessionToken(req('mysession=no; sessionx=no'))).toBeUndefined();
    expect(sessionToken(req())).toBeUndefined();
  });
});
