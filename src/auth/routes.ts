import cookie from '@fastify/cookie';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ServiceError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { recordAudit } from './audit.ts';
import { requireUser, sessionToken, signedInUser } from './guard.ts';
import { requireSameOrigin } from './origin.ts';
import { dummyHash, hashGate, HashesBusyError, MAX_PASSWORD_LENGTH, verifyPassword } from './passwords.ts';
import { SESSION_COOKIE, type SessionStore, type SessionUser } from './sessions.ts';
import { SignInLimiter, type Reservation } from './sign-in-limiter.ts';
import { findUserByEmail, normaliseEmail, siteCodes } from './users.ts';
import { errorResponses, JSON_BODY } from '../http/schemas.ts';

export interface SessionRoutesOptions {
  readonly db: Db;
  readonly sessions: SessionStore;
  /** Sign-in limits, kept in the database so every instance shares them. */
  readonly limits?: SignInLimiter;
}

/** Advised with 503 when the password hashes are saturated: a hash takes about 100 ms. */
export const HASHES_BUSY_RETRY_AFTER_MS = 1000;

/** Why a sign-in was refused: in the log line and, for evaluated attempts, the audit row. */
type RefusalReason = 'unknown_account' | 'wrong_password' | 'account_disabled' | 'account_locked' | 'address_locked' | 'hashes_busy';

const UserBody = Type.Object({
  user: Type.Object({
    id: Type.Integer(),
    name: Type.String(),
    email: Type.String(),
    role: Type.Union([Type.Literal('clinician'), Type.Literal('analyst'), Type.Literal('admin')]),
    sites: Type.Array(Type.String(), { description: 'codes of the sites whose data the user sees' }),
  }),
});

// Other fields are ignored, as they always were: a sign-in form may send more.
const SignIn = Type.Object({
  email: Type.String({ maxLength: 254 }),
  password: Type.String({ maxLength: MAX_PASSWORD_LENGTH }),
});

/** Sign-in, the signed-in user, and sign-out: `/v1/session`. */
export const sessionRoutes: FastifyPluginAsyncTypebox<SessionRoutesOptions> = async (app, { db, sessions, limits = new SignInLimiter(db) }) => {
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
      // onRequest: another origin is refused before the body is read or validated.
      onRequest: sameOrigin,
      schema: {
        summary: 'Sign in; sets the `session` cookie',
        description: 'Needs an `Origin` header of this service. A wrong password and a disabled account get the same 401. ' +
          'A refusal for too many attempts (429) or too many sign-ins in progress (503) carries Retry-After.',
        tags: ['session'],
        body: SignIn,
        response: { 200: UserBody, ...errorResponses(...JSON_BODY, 'bad_credentials', 'cross_origin', 'too_many_sign_ins', 'sign_in_busy', 'internal') },
      },
    },
    async (request, reply) => {
      const body = request.body;
      // The schema's maxLength counts characters; these limits are in UTF-16 units, as before.
      if (body.email.length > 254 || body.password.length > MAX_PASSWORD_LENGTH) throw new ServiceError('bad_message', 'email or password too long');
      // PostgreSQL refuses NUL and lone surrogates in text and jsonb; no account has them,
      // so folding them into U+FFFD for the limit's key and the audit row loses nothing.
      const email = normaliseEmail(body.email).toWellFormed().replaceAll('\u0000', '\ufffd');
      // An IPv6 address has at most 45 characters; with a hop-count TRUST_PROXY the value may
      // come from a client's X-Forwarded-For, and must not grow the limit's key unbounded.
      const address = request.ip.slice(0, 64);
      // The email stays out of the log (audit table only); the address and reason go in.
      const refused = (reason: RefusalReason, error: ServiceError): ServiceError => {
        request.log.info({ address, reason }, 'sign-in refused');
        return error;
      };
      const busy = () => refused('hashes_busy', new ServiceError('sign_in_busy', undefined, HASHES_BUSY_RETRY_AFTER_MS));
      // Refused before any slot is taken: an overloaded service must not spend attempts.
      if (hashGate.full) throw busy();
      // Locks this process has just learned of are answered without asking the database.
      const accountLock = limits.knownLockMs('account', email);
      const addressLock = limits.knownLockMs('address', address);
      if (accountLock > 0 || addressLock > 0) {
        throw refused(accountLock > 0 ? 'account_locked' : 'address_locked', new ServiceError('too_many_sign_ins', undefined, Math.max(accountLock, addressLock)));
      }

      // Account first: a burst against one account is refused there, without spending
      // its address's budget, which other accounts behind the same NAT share.
      const held: Reservation[] = [];
      const giveBack = () => Promise.all(held.map((r) => limits.release(r)));
      for (const [kind, key] of [['account', email], ['address', address]] as const) {
        const r = await limits.reserve(kind, key);
        if (!r.allowed) {
          await giveBack();
          throw refused(kind === 'account' ? 'account_locked' : 'address_locked', new ServiceError('too_many_sign_ins', undefined, r.retryAfterMs));
        } else held.push(r);
      }

      let user: Awaited<ReturnType<typeof findUserByEmail>>;
      let ok: boolean;
      try {
        user = await findUserByEmail(db, normaliseEmail(body.email));
        // Always run scrypt, so an unknown email costs as long as a wrong password.
        ok = await verifyPassword(body.password, user?.password_hash ?? (await dummyHash()));
      } catch (err) {
        // Not evaluated, so not a failure: the slots go back (best effort if the database is down).
        await giveBack().catch(() => undefined);
        throw err instanceof HashesBusyError ? busy() : err;
      }
      if (!user || !ok || user.disabled_at) {
        // The slots taken stay taken: they are this failure's count.
        const reason: RefusalReason = !user ? 'unknown_account' : !ok ? 'wrong_password' : 'account_disabled';
        await recordAudit(db, { user: null, action: 'session.refused', route: '/v1/session', detail: { email, address, reason } });
        throw refused(reason, new ServiceError('bad_credentials'));
      }
      await limits.clear('account', email);
      await Promise.all(held.filter((r) => r.kind === 'address').map((r) => limits.release(r)));
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
      onRequest: requireUser(sessions),
      schema: { summary: 'The signed-in user', tags: ['session'], response: { 200: UserBody, ...errorResponses('not_signed_in', 'internal') } },
    },
    async (request) => describe(signedInUser(request)),
  );

  app.delete(
    '/v1/session',
    {
      onRequest: sameOrigin,
      schema: {
        summary: 'Sign out: ends the session and clears the cookie',
        description: 'Answers 204 with or without a live session.',
        tags: ['session'],
        response: { 204: Type.Null({ description: 'signed out' }), ...errorResponses('cross_origin', 'internal') },
      },
    },
    async (request, reply) => {
      const token = sessionToken(request);
      const user = await sessions.resolve(token);
      await sessions.destroy(token);
      if (user) await recordAudit(db, { user, action: 'session.delete', route: '/v1/session' });
      reply.clearCookie(SESSION_COOKIE, cookieOptions);
      return reply.code(204).send(null);
    },
  );
};
