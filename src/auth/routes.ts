import cookie from '@fastify/cookie';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ServiceError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { recordAudit } from './audit.ts';
import { requireUser, sessionToken, signedInUser } from './guard.ts';
import { requireSameOrigin } from './origin.ts';
import { dummyHash, MAX_PASSWORD_LENGTH, verifyPassword } from './passwords.ts';
import { SESSION_COOKIE, type SessionStore, type SessionUser } from './sessions.ts';
import { defaultSignInLimits, type SignInLimits } from './sign-in-limiter.ts';
import { findUserByEmail, normaliseEmail, siteCodes } from './users.ts';

export interface SessionRoutesOptions {
  readonly db: Db;
  readonly sessions: SessionStore;
  /** Failed sign-in limits; in memory, so per process. */
  readonly limits?: SignInLimits;
}

const userSchema = {
  type: 'object',
  properties: {
    user: {
      type: 'object',
      properties: {
        id: { type: 'integer' },
        name: { type: 'string' },
        email: { type: 'string' },
        role: { type: 'string', enum: ['clinician', 'analyst', 'admin'] },
        sites: { type: 'array', items: { type: 'string' }, description: 'codes of the sites whose data the user sees' },
      },
    },
  },
} as const;

const errorSchema = { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } } as const;

/** Sign-in, the signed-in user, and sign-out: `/v1/session`. */
export const sessionRoutes: FastifyPluginAsync<SessionRoutesOptions> = async (app, { db, sessions, limits = defaultSignInLimits() }) => {
  // Encapsulated: only these routes set cookies; guards elsewhere read the header themselves.
  await app.register(cookie);
  const sameOrigin = requireSameOrigin(sessions.secure);
  const cookieOptions = { httpOnly: true, sameSite: 'strict', path: '/', secure: sessions.secure } as const;

  const describe = async (user: SessionUser) => ({
    user: { id: user.id, name: user.name, email: user.email, role: user.role, sites: await siteCodes(db, user) },
  });

  app.post(
    '/v1/session',
    {
      bodyLimit: 4096,
      preHandler: sameOrigin,
      schema: {
        summary: 'Sign in; sets the `session` cookie',
        description: 'Body `{"email": "...", "password": "..."}`. Needs an `Origin` header of this service. A wrong password and a disabled account get the same 401.',
        tags: ['session'],
        response: { 200: userSchema, 401: errorSchema, 429: errorSchema },
      },
    },
    async (request: FastifyRequest, reply: FastifyReply) => {
      const body = request.body as { email?: unknown; password?: unknown } | null | undefined;
      if (!body || typeof body !== 'object' || typeof body.email !== 'string' || typeof body.password !== 'string') {
        throw new ServiceError('bad_message', 'expected {"email": string, "password": string}');
      }
      if (body.email.length > 254 || body.password.length > MAX_PASSWORD_LENGTH) throw new ServiceError('bad_message', 'email or password too long');
      const email = normaliseEmail(body.email);
      const accountKey = `account:${email}`;
      const addressKey = `address:${request.ip}`;
      const wait = Math.max(limits.account.retryAfterMs(accountKey), limits.address.retryAfterMs(addressKey));
      if (wait > 0) throw new ServiceError('too_many_sign_ins', undefined, wait);

      const user = await findUserByEmail(db, email);
      // Always run scrypt, so an unknown email costs as long as a wrong password.
      const ok = await verifyPassword(body.password, user?.password_hash ?? (await dummyHash()));
      if (!user || !ok || user.disabled_at) {
        limits.account.fail(accountKey);
        limits.address.fail(addressKey);
        request.log.info('sign-in refused');
        throw new ServiceError('bad_credentials');
      }
      limits.account.reset(accountKey);
      // A session the browser already holds is replaced, not left alive beside the new one.
      await sessions.destroy(sessionToken(request));
      const { token } = await sessions.create(user.id);
      const signedIn = await sessions.resolve(token);
      if (!signedIn) throw new ServiceError('internal');
      await recordAudit(db, { user: signedIn, action: 'session.create', route: '/v1/session' });
      reply.setCookie(SESSION_COOKIE, token, { ...cookieOptions, maxAge: Math.floor(sessions.maxMs / 1000) });
      return describe(signedIn);
    },
  );

  app.get(
    '/v1/session',
    {
      preHandler: requireUser(sessions),
      schema: { summary: 'The signed-in user', tags: ['session'], response: { 200: userSchema, 401: errorSchema } },
    },
    async (request) => describe(signedInUser(request)),
  );

  app.delete(
    '/v1/session',
    {
      preHandler: sameOrigin,
      schema: { summary: 'Sign out: ends the session and clears the cookie', tags: ['session'], response: { 204: { type: 'null' }, 403: errorSchema } },
    },
    async (request, reply) => {
      const token = sessionToken(request);
      const user = await sessions.resolve(token);
      await sessions.destroy(token);
      if (user) await recordAudit(db, { user, action: 'session.delete', route: '/v1/session' });
      reply.clearCookie(SESSION_COOKIE, cookieOptions);
      return reply.code(204).send();
    },
  );
};
