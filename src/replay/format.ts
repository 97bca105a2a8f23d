// The replay's report as text: one line per alert kind, then the alerts gained and lost.
import { formatTable } from '../admin/table.ts';
import type { Opening, ReplayResult } from './replay.ts';

const pct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(0)} %`);

export function formatResult(r: ReplayResult, proposed: boolean): string {
  const rows = Object.entries(r.kinds).map(([kind, k]) => ({
    kind, stored: k.stored, replayed: k.current, reproduced: k.reproduced,
    ...(proposed ? { proposed: k.proposed, gained: k.gained, lost: k.lost } : {}),
    'PPV now': pct(k.ppv.current), ...(proposed ? { 'PPV proposed': pct(k.ppv.proposed) } : {}),
    'sens. now': pct(k.sensitivity.current), ...(proposed ? { 'sens. proposed': pct(k.sensitivity.proposed) } : {}),
  }));
  const list = (title: string, xs: readonly Opening[]) => xs.length === 0 ? [] : [
    '', `${title} (${xs.length}):`,
    formatTable(xs.slice(0, 50).map((o) => ({ at: o.at, patient: o.patient ?? `device ${o.device}`, kind: o.kind, priority: o.priority, summary: o.summary })), ''),
    ...(xs.length > 50 ? [`... and ${xs.length - 50} more (--json lists all)`] : []),
  ];
  return [
    formatTable(rows, '(no alerts, stored or replayed)'),
    ...(proposed ? [...list('gained under the proposed settings', r.gained), ...list('lost under the proposed settings', r.lost)] : []),
    ...list('opened by the replay but not stored (re-openings after a resolution, or settings changed since)', r.unmatched.replayOnly),
    ...list('stored but not opened by the replay', r.unmatched.storedOnly),
    '',
    `${r.readings} readings of ${r.devices} devices in ${r.seconds.toFixed(1)} s (${Math.round(r.readings / Math.max(r.seconds, 1e-9))} readings/s${proposed ? ', each through the engine twice' : ''})`,
  ].join('\n');
}

