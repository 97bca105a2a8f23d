// The request and response schemas of the patient routes (routes.ts): one TypeBox schema
// gives the validation, the handler's types and the OpenAPI document.
import { Type } from '@sinclair/typebox';
import { AlertSchema, Nullable, PatientIdParam } from '../http/schemas.ts';

export const CreateBody = Type.Object(
  {
    site: Type.String({ maxLength: 32, description: 'site code' }),
    familyName: Type.String({ minLength: 1, maxLength: 200 }),
    givenName: Type.String({ minLength: 1, maxLength: 200 }),
    nhsNumber: Type.Optional(Nullable(Type.String({ maxLength: 20, description: '10 digits with a valid check digit; spaces allowed' }))),
    dateOfBirth: Type.String({ maxLength: 10, description: 'YYYY-MM-DD, not in the future' }),
    sex: Type.Optional(Type.Union([Type.Literal('female'), Type.Literal('male'), Type.Literal('other'), Type.Literal('unknown')])),
  },
  { additionalProperties: false },
);

export const EnrolBody = Type.Object(
  {
    serial: Type.String({ minLength: 1, maxLength: 64 }),
    deviceType: Type.Optional(Type.Union(['pacemaker', 'icd', 'crt_d', 'crt_p', 'loop_recorder', 'unknown'].map((t) => Type.Literal(t)))),
    // The device's earlier enrolment to another patient was a mistake: move its history here.
    correction: Type.Optional(Type.Boolean({ description: 'the device’s earlier enrolment to another patient was a mistake: move its history here' })),
  },
  { additionalProperties: false },
);

export const PatientParams = Type.Object({ id: PatientIdParam });

const patientFields = {
  id: Type.String({ description: 'p-17' }),
  name: Type.String(),
  familyName: Type.String(),
  givenName: Type.String(),
  site: Type.String(),
  nhsNumber: Nullable(Type.String()),
  dateOfBirth: Type.String({ description: 'YYYY-MM-DD' }),
  sex: Type.String(),
  risk: Nullable(Type.Object({
    status: Type.String({ description: 'Low, Medium or High' }),
    score: Type.Number(),
    at: Type.String({ format: 'date-time' }),
    insufficientData: Type.Boolean({ description: 'a Low that rests on too little data to judge' }),
  })),
  openAlerts: Type.Object({ high: Type.Integer(), medium: Type.Integer(), low: Type.Integer() }),
};
export const PatientSchema = Type.Object({
  ...patientFields,
  devices: Type.Array(Type.String(), { description: 'serials of the enrolled devices' }),
  deviceTypes: Type.Array(Type.String(), { description: 'the enrolled type of each device, in the order of `devices` (pacemaker, icd, crt_d, crt_p, loop_recorder, unknown)' }),
});
export const PatientBody = Type.Object({ patient: PatientSchema });

export const PatientDetail = Type.Object({
  patient: Type.Object({
    ...patientFields,
    devices: Type.Array(Type.Object({
      serial: Type.String(),
      type: Type.String(),
      firstSeenAt: Type.String({ format: 'date-time' }),
      lastReadingAt: Nullable(Type.String({ format: 'date-time' })),
      identityWarning: Nullable(Type.Object({
        source: Type.Literal('idco'),
        messages: Type.Integer({ description: 'HL7 IDCO messages for this device that gave another birth date than this patient’s' }),
        firstSeenAt: Type.String({ format: 'date-time' }),
        lastSeenAt: Type.String({ format: 'date-time' }),
      })),
      settings: Type.Array(Type.Object({
        term: Type.String({ description: 'IEEE 11073-10103 reference id, e.g. MDC_IDC_SET_LEADCHNL_RV_PACING_AMPLITUDE' }),
        subId: Type.String(),
        kind: Type.Union([Type.Literal('setting'), Type.Literal('status')], { description: 'a programmed setting, or a lead status' }),
        value: Type.String({ description: 'as the device clinic message gave it' }),
        unit: Type.String(),
        reportedAt: Type.String({ format: 'date-time' }),
      }), { description: 'programmed settings and lead status as last reported over HL7 IDCO' }),
    })),
  }),
  alerts: Type.Array(AlertSchema, { description: 'alerts of every status, newest first' }),
  episodes: Type.Array(Type.Object({
    device: Type.String(),
    class: Type.String({ description: 'vt, vf, nsvt, svt, af or other' }),
    type: Type.String(),
    vendorType: Type.String(),
    at: Nullable(Type.String({ format: 'date-time' })),
    durationS: Nullable(Type.Number()),
    therapy: Type.String(),
    result: Type.String(),
    reportedAt: Type.String({ format: 'date-time' }),
  }), { description: 'arrhythmia episodes the devices reported over HL7 IDCO, newest first (at most 100)' }),
  connectivityEpisodes: Type.Array(Type.Object({
    device: Type.String(),
    from: Type.String({ format: 'date-time', description: 'event time of the last reading before the silence' }),
    to: Type.String({ format: 'date-time', description: 'event time of the reading that ended it' }),
    hours: Type.Integer({ description: 'its length, whole hours' }),
    limitHours: Type.Number({ description: 'the silence limit the device was held to (its expected cadence, at least connectivity.silentHours)' }),
    alerted: Type.Boolean({ description: 'a connectivity_loss alert was raised while it lasted; false for a silence found in history uploaded later' }),
  }), { description: 'past silences of the devices: gaps between two readings at least their silence limit, newest first (at most 100)' }),
});

export const Readings = Type.Object({
  patient: Type.String(),
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  series: Type.Record(
    Type.String({ description: 'metric name' }),
    Type.Object({
      unit: Type.String(),
      points: Type.Array(Type.Tuple([Type.Number({ description: 'ms since the epoch' }), Type.Number()])),
    }),
  ),
});

/** Patients: lists and pages for clinicians of the site (audited), enrolment for admins. */
