import { describe, expect, it } from 'vitest';
import { hashPassword, passwordProblem, verifyPassword } from '../../../src/auth/passwords.ts';

const FAST = { logN: 10, r: 8, p: 1 };

describe('passwords', () => {
  it('hashes with scrypt N=2^15, r=8, p=1 by default, a fresh salt each time, and verifies', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$15\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('verifies against the parameters stored with the hash', async () => {
    const weak = await hashPassword('twelve chars!', FAST);
    expect(weak.startsWith('scrypt$10$8$1$')).toBe(true);
    expect(await verifyPassword('twelve chars!', weak)).toBe(true);
  });

  it('treats composed and decomposed accents as the same password', async () => {
    const h = await hashPassword('caf\u00e9 au lait ok', FAST);
    expect(await verifyPassword('cafe\u0301 au lait ok', h)).toBe(true);
  });

  it('refuses passwords shorter than 12 or longer than 1024 characters', async () => {
    expect(passwordProblem('elevenchars')).toMatch(/at least 12/);
    expect(passwordProblem('twelve chars')).toBeNull();
    expect(passwordProblem('x'.repeat(1025))).toMatch(/at most 1024/);
    await expect(hashPassword('short')).rejects.toThrow(/at least 12/);
    expect(await verifyPassword('x'.repeat(1025), await hashPassword('twelve chars', FAST))).toBe(false);
  });

  it.each([
    ['', 'empty'],
    ['bcrypt$2b$10$abc', 'another scheme'],
    ['scrypt$30$8$1$c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5', 'N = 2^30 (would ask for gigabytes)'],
    ['scrypt$15$8$1$c2FsdA$', 'no key'],
    ['scrypt$15$8$1$c2FsdA$a2V5', 'a key too short'],
  ])('rejects a malformed stored hash (%s: %s) without throwing', async (stored) => {
    expect(await verifyPassword('twelve chars', stored)).toBe(false);
  });
});
