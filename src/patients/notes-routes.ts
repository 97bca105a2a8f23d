import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ServiceError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { CONTACT_KINDS, contactNotesOf, insertContactNote, type StoredContactNote } from '../store/contact-notes.ts';
import { recordAudit } from '../auth/audit.ts';
import { requireUser, signedInUser } from '../auth/guard.ts';
import type { SessionStore } from '../auth/sessions.ts';
import type { Vault } from '../crypto/vault.ts';
import { visiblePatientSite } from './access.ts';
import { errorResponses, JSON_BODY, Nullable, PatientIdParam, SIGNED_IN, SIGNED_IN_CHANGE } from '../http/schemas.ts';

export interface NoteRoutesOptions {
  readonly db: Db;
  readonly sessions: SessionStore;
  readonly vault: Vault;
  readonly now?: () => number;
}

export const NOTE_FIELD = 'contact_notes.text';
export const MAX_NOTE_CHARS = 2000;
/** A contact is not in the future: a minute's grace for the clocks of the browser and the service. */
const FUTURE_GRACE_MS = 60_000;
/** Nothing earlier: a date before it is a typing slip, not a contact. */
const EARLIEST = Date.UTC(1990, 0, 1);
const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;
// Tab, line feed and carriage return are text; any other control character is not.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

const Kind = Type.Union(CONTACT_KINDS.map((k) => Type.Literal(k)));
export const NoteSchema = Type.Object({
  id: Type.String({ description: 'n-12' }),
  kind: Kind,
  contactedAt: Type.String({ format: 'date-time', description: 'when the contact happened' }),
  text: Type.String(),
  author: Type.String({ description: 'the clinician who wrote it (e-mail)' }),
  authorName: Type.String(),
  recordedAt: Type.String({ format: 'date-time' }),
});
const Params = Type.Object({ id: PatientIdParam });
const Query = Type.Object({
  before: Type.Optional(Type.String({ maxLength: 24, description: 'a note id (n-12): the page after it, newest first' })),
  limit: Type.Optional(Type.String({ pattern: '^\\d{0,4}$', description: `a whole number from 1 to ${MAX_PAGE} (${DEFAULT_PAGE} when absent)` })),
}, { additionalProperties: false });
const Body = Type.Object({
  kind: { ...Kind, description: 'phone_call, clinic_visit, message or other' },
  text: Type.String({ minLength: 1, maxLength: MAX_NOTE_CHARS, description: `the note, 1 to ${MAX_NOTE_CHARS} characters (kept encrypted)` }),
  contactedAt: Type.Optional(Type.String({ format: 'date-time', description: 'RFC 3339: when the contact happened; now when absent, not in the future, not before 1990' })),
}, { additionalProperties: false });

const noteRef = (id: number) => `n-${id}`;
function parseNoteRef(ref: string): number | null {
  const m = /^n-([1-9]\d{0,9})$/.exec(ref);
  const id = m ? Number(m[1]) : NaN;
  return id <= 2_147_483_647 ? id : null;
}

/**
 * Contact notes of a patient: a phone call, a clinic visit or a message, noted by the clinician
 * outside any alert. Clinicians of the patient's site and admins; every read and note audited
 * (never with its text). Not part of the export.
 */
export const noteRoutes: FastifyPluginAsyncTypebox<NoteRoutesOptions> = async (app, { db, sessions, vault, now = Date.now }) => {
  const guard = requireUser(sessions, 'clinician', 'admin');
  /** The patient a note is for, found before its body is validated: another site's is 404 whatever the body. */
  const target = new WeakMap<FastifyRequest, number>();
  const preValidation = async (req: FastifyRequest) => {
    target.set(req, (await visiblePatientSite(db, signedInUser(req), (req.params as { id: string }).id)).id);
  };
  const present = async (rows: readonly StoredContactNote[]) => {
    await vault.prepare(rows.map((r) => r.text_sealed));
    return rows.map((r) => ({
      id: noteRef(r.id), kind: r.kind, contactedAt: r.contacted_at.toISOString(), text: vault.open(NOTE_FIELD, r.text_sealed),
      author: r.author_email, authorName: r.author_name, recordedAt: r.created_at.toISOString(),
    }));
  };

  app.get('/v1/patients/:id/notes', {
    onRequest: guard,
    schema: {
      tags: ['patients'], summary: 'the patient’s contact notes, newest contact first, a page at a time', params: Params, querystring: Query,
      response: {
        200: Type.Object({ notes: Type.Array(NoteSchema), next: Nullable(Type.String({ description: 'the `before` of the next page; null on the last one' })) }),
        ...errorResponses('bad_message', 'not_found', ...SIGNED_IN),
      },
    },
  }, async (req) => {
    const user = signedInUser(req);
    const { id } = await visiblePatientSite(db, user, req.params.id);
    let beforeId: number | undefined;
    if (req.query.before !== undefined && req.query.before !== '') {
      const parsed = parseNoteRef(req.query.before);
      if (parsed === null) throw new ServiceError('bad_message', 'before must be a note id (n-12)');
      beforeId = parsed;
    }
    const raw = req.query.limit;
    const limit = raw === undefined || raw === '' ? DEFAULT_PAGE : /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
    if (!(limit >= 1 && limit <= MAX_PAGE)) throw new ServiceError('bad_message', `limit must be a whole number from 1 to ${MAX_PAGE}`);
    // One more than the page: `next` only when there is a next page.
    const fetched = await contactNotesOf(db, id, { beforeId, limit: limit + 1 });
    const page = fetched.slice(0, limit);
    const notes = await present(page);
    await recordAudit(db, { user, action: 'patient.notes.read', route: '/v1/patients/:id/notes', patientId: id, detail: { count: notes.length } });
    return { notes, next: fetched.length > limit ? noteRef(page.at(-1)!.id) : null };
  });

  app.post('/v1/patients/:id/notes', {
    onRequest: guard,
    preValidation,
    bodyLimit: 16 * 1024,
    schema: {
      tags: ['patients'], summary: 'note a contact with the patient (a phone call, a clinic visit, a message)', params: Params, body: Body,
      response: { 201: Type.Object({ note: NoteSchema }), ...errorResponses(...JSON_BODY, 'not_found', ...SIGNED_IN_CHANGE) },
    },
  }, async (req, reply) => {
    const user = signedInUser(req);
    const patientId = target.get(req);
    if (patientId === undefined) throw new ServiceError('internal');
    const text = req.body.text.trim();
    if (text === '') throw new ServiceError('bad_message', 'text must not be blank');
    if (CONTROL.test(text)) throw new ServiceError('bad_message', 'text must not hold control characters');
    const t = now();
    const at = req.body.contactedAt === undefined ? t : Date.parse(req.body.contactedAt);
    if (!Number.isFinite(at) || at > t + FUTURE_GRACE_MS || at < EARLIEST) {
      throw new ServiceError('bad_message', 'contactedAt must be an RFC 3339 date-time, not in the future and not before 1990');
    }
    const created = await insertContactNote(db, {
      patientId, authorId: user.id, kind: req.body.kind, contactedAt: new Date(at), textSealed: vault.sealGeneral(NOTE_FIELD, text),
    });
    await recordAudit(db, { user, action: 'patient.note.create', route: '/v1/patients/:id/notes', patientId, detail: { note: created, kind: req.body.kind } });
    const [note] = await present(await contactNotesOf(db, patientId, { ids: [created], limit: 1 }));
    return reply.code(201).send({ note: note! });
  });
};
