import { describe, expect, it } from 'vitest';
import { isStateChanging, sameOrigin } from '../../../src/auth/origin.ts';

describe('sameOrigin', () => {
  const host = '127.0.0.1:3000';
  it.each([
    [{ host, origin: 'http://127.0.0.1:3000' }, false, true],
    [{ host: 'Clinic.Example', origin: 'https://clinic.example' }, true, true],
    [{ host, referer: 'http://127.0.0.1:3000/dashboard?x=1' }, false, true],
    // Origin wins over Referer when both are present.
    [{ host, origin: 'http://evil.example', referer: 'http://127.0.0.1:3000/' }, false, false],
    [{ host: 'localhost:80', origin: 'http://localhost' }, false, true],
    [{ host: 'localhost:80', origin: 'https://localhost' }, false, false],
    [{ host: 'a/b', origin: 'http://a' }, false, false],
    [{ host, origin: 'http://127.0.0.1:3001' }, false, false],
    [{ host, origin: 'http://127.0.0.1:3000.evil.example' }, false, false],
    [{ host, origin: 'null' }, false, false],
    [{ host, origin: 'not a url' }, false, false],
    [{ host, origin: 'file:///x' }, false, false],
    [{ host }, false, false],
    [{ origin: 'http://127.0.0.1:3000' }, false, false],
    // With COOKIE_SECURE, only pages served over https.
    [{ host, origin: 'http://127.0.0.1:3000' }, true, false],
    [{ host, origin: ['http://127.0.0.1:3000', 'http://127.0.0.1:3000'] }, false, false],
  ])('%j (https only: %s) -> %s', (headers, https, expected) => {
    expect(sameOrigin(headers, https)).toBe(expected);
  });

  it('applies to POST, PUT, PATCH and DELETE only', () => {
    expect(['POST', 'put', 'PATCH', 'DELETE'].map(isStateChanging)).toEqual([true, true, true, true]);
    expect(['GET', 'HEAD', 'OPTIONS'].map(isStateChanging)).toEqual([false, false, false]);
  });
});
