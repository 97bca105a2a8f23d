import { createUser } from '../../src/admin/commands.ts';
import type { Db } from '../../src/store/db.ts';
import type { Role } from '../../src/store/schema.ts';

let userCounter = 0;

export const PASSWORD = 'a long enough password';

/** A new user with the given role and site codes (each must exist). */
export async function seedUser(db: Db, role: Role, sites: string[] = [], password = PASSWORD) {
  const email = `user${++userCounter}.${Math.random().toString(36).slice(2, 8)}@clinic.example`;
  const user = await createUser(db, { email, name: `Dr ${role} ${userCounter}`, role, sites, password });
  return { ...user, password };
}

/** Headers of a same-origin browser request to the service at `httpUrl`. */
export function sameOrigin(httpUrl: string): Record<string, string> {
  return { origin: httpUrl };
}

/** POST /v1/session as a same-origin page would. */
export function postSession(httpUrl: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${httpUrl}/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...sameOrigin(httpUrl), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Sign in and return the `Cookie` header value that carries the session. */
export async function signIn(httpUrl: string, email: string, password = PASSWORD): Promise<string> {
  const res = await postSession(httpUrl, { email, password });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const m = /(?:^|,\s*)session=([^;]+)/.exec(setCookie);
  if (!m) throw new Error(`no session cookie in ${setCookie}`);
  return `session=${m[1]}`;
}
