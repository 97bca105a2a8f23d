// The request and response schemas of the patient page's heart-failure panel, episode list
// and transmission view (records-routes.ts).
import { Type } from '@sinclair/typebox';
import { Nullable } from '../http/schemas.ts';

const When = (description: string) => Type.Optional(Type.String({ maxLength: 40, description }));
const period = {
  from: When('RFC 3339 date or date-time; 90 days before `to` when absent'),
  to: When('RFC 3339 date or date-time; now when absent'),
};
export const PeriodQuery = Type.Object(period, { additionalProperties: false });

export const TransmissionsQuery = Type.Object({
  ...period,
  limit: Type.Optional(Type.String({ pattern: '^\\d{0,3}$', description: 'a whole number from 1 to 200 (50 when absent)' })),
  before: Type.Optional(Type.String({ maxLength: 40, description: 'the `next` of the previous page' })),
}, { additionalProperties: false });

const Risk = Type.Union([Type.Literal('Low'), Type.Literal('Medium'), Type.Literal('High')]);
const Period = { patient: Type.String(), from: Type.String({ format: 'date-time' }), to: Type.String({ format: 'date-time' }) };

export const HeartFailureAnswer = Type.Object({
  ...Period,
  devices: Type.Array(Type.Object({
    serial: Type.String(),
    threshold: Type.Number({ description: 'fluid index threshold of the settings in force now, Ohm·days' }),
    riskAtFrom: Nullable(Risk),
    days: Type.Array(Type.Object({
      at: Type.String({ format: 'date-time', description: 'event time of the day’s thoracic impedance reading' }),
      impedance: Type.Number({ description: 'the day’s thoracic impedance, Ohm' }),
      reference: Type.Number({ description: 'the adaptive reference impedance after the day, Ohm' }),
      fluidIndex: Nullable(Type.Number({ description: 'Ohm·days; null while the reference is still learning' })),
      threshold: Type.Number({ description: 'the fluid threshold the day was scored with, Ohm·days' }),
    }), { description: 'one per thoracic impedance day the engine counted, oldest first' }),
  }), { description: 'each enrolled device; riskAtFrom is its risk status when the period began (null before its first change)' }),
  riskChanges: Type.Array(Type.Object({
    device: Type.String(),
    at: Type.String({ format: 'date-time', description: 'event time of the reading that changed it' }),
    status: Risk,
    previous: Risk,
    score: Type.Number(),
  }), { description: 'heart-failure risk status changes in the period, oldest first' }),
});

export const EpisodesAnswer = Type.Object({
  ...Period,
  episodes: Type.Array(Type.Object({
    source: Type.Union([Type.Literal('reading'), Type.Literal('idco')], { description: 'a counter in readings, or an episode an HL7 IDCO message described' }),
    device: Type.String(),
    class: Type.String({ description: 'vt, vf, nsvt, atp, shock (readings); vt, vf, nsvt, svt, af, other (IDCO)' }),
    count: Nullable(Type.Number({ description: 'episodes or therapies since the device’s previous report (readings)' })),
    at: Type.String({ format: 'date-time' }),
    timeOf: Type.Union([Type.Literal('device'), Type.Literal('report')], { description: 'device: the device’s time; report: the time of the IDCO report (the episode had none)' }),
    receivedAt: Nullable(Type.String({ format: 'date-time', description: 'when the service received the reading' })),
    durationS: Nullable(Type.Number()),
    therapy: Type.String(),
    result: Type.String(),
    vendorType: Type.String(),
  })),
  truncated: Type.Boolean({ description: 'more episodes were in the period than listed' }),
});

export const TransmissionsAnswer = Type.Object({
  ...Period,
  transmissions: Type.Array(Type.Object({
    device: Type.String(),
    gateway: Type.String({ description: 'name of the gateway that delivered it' }),
    receivedAt: Type.String({ format: 'date-time', description: 'service time: when it was stored' }),
    firstAt: Type.String({ format: 'date-time', description: 'device time of its earliest reading' }),
    lastAt: Type.String({ format: 'date-time', description: 'device time of its latest reading' }),
    readings: Type.Integer(),
    metrics: Type.Array(Type.String(), { description: 'metrics it carried' }),
    missing: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'metrics the device sent in most of its previous 10 transmissions that this one lacked; null with fewer than 3 before it' }),
  })),
  next: Nullable(Type.String({ description: 'the `before` of the next (older) page; null on the last one' })),
});
