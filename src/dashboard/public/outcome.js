// The outcome of a resolved alert: the select every resolve form uses (one alert's detail,
// bulk resolve in the queue) and the label every table shows.
import { h } from './dom.js';
import { OUTCOME_LABELS } from './format.js';

/**
 * A select of the outcomes, with nothing chosen: the clinician must pick one. Its value is
 * '' until they do. Give it a <label for={id}>.
 * @param {string} id
 * @param {{ required?: boolean }} [opts] required (the default): the browser marks it so
 * @returns {HTMLSelectElement}
 */
export function outcomeSelect(id, { required = true } = {}) {
  return /** @type {HTMLSelectElement} */ (h('select', { id, name: 'outcome', required },
    h('option', { value: '' }, 'Choose…'),
    Object.entries(OUTCOME_LABELS).map(([v, t]) => h('option', { value: v }, t))));
}

/** The label of an outcome; 'Not recorded' for none. @param {string | null | undefined} outcome */
export function outcomeLabel(outcome) {
  if (!outcome) return 'Not recorded';
  return OUTCOME_LABELS[outcome] ?? outcome.replaceAll('_', ' ');
}
