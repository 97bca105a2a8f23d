// Clinicians' comments are free text and may name anyone: stored sealed (under the general
// data key) as `commentSealed` in the alert event's data, opened again for the history.
import type { Vault } from '../crypto/vault.ts';

export const COMMENT_FIELD = 'alert_events.comment';

/** The event data as stored: a `comment` replaced by its sealed form. */
export function sealComment(vault: Vault, data: Record<string, unknown>): Record<string, unknown> {
  if (typeof data.comment !== 'string') return data;
  const { comment, ...rest } = data;
  return { ...rest, commentSealed: vault.sealGeneral(COMMENT_FIELD, comment) };
}

/** The events' data as the history shows it: `commentSealed` opened back into `comment`. */
export async function openComments<T extends { readonly data: Record<string, unknown> }>(vault: Vault, events: readonly T[]): Promise<T[]> {
  const sealed = (e: T) => (typeof e.data.commentSealed === 'string' ? e.data.commentSealed : null);
  await vault.prepare(events.map(sealed));
  return events.map((e) => {
    const s = sealed(e);
    if (s === null) return e;
    const { commentSealed: _sealed, ...rest } = e.data;
    return { ...e, data: { ...rest, comment: vault.open(COMMENT_FIELD, s) } };
  });
}
