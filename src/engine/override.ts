// Checking an override before it is stored: same shape as the configuration, each leaf of the
// default's type, numbers finite and not negative, priorities from the contract's three, and the
// hard-limit rules within their clinical floors (limits.ts).
import { DEFAULT_CONFIG } from './config.ts';
import { limitProblem } from './limits.ts';

const PRIORITIES = new Set(['low', 'medium', 'high']);

function pushLimit(problems: string[], key: string, value: unknown): void {
  const p = limitProblem(key, value);
  if (p) problems.push(p);
}

/** The problems of an override (empty when it can be stored), each naming the key. */
export function overrideProblems(override: unknown): string[] {
  const problems: string[] = [];
  const walk = (over: unknown, base: unknown, path: string) => {
    if (typeof over !== 'object' || over === null || Array.isArray(over)) {
      problems.push(`${path || 'settings'} must be an object`);
      return;
    }
    for (const [k, v] of Object.entries(over)) {
      const key = path ? `${path}.${k}` : k;
      // Own keys only: `constructor` or `__proto__` must not reach Object.prototype's.
      const b = Object.hasOwn(base as object, k) ? (base as Record<string, unknown>)[k] : undefined;
      if (b === undefined) problems.push(`unknown engine setting: ${key}`);
      else if (typeof b === 'object' && b !== null) walk(v, b, key);
      else if (typeof b === 'number') {
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) problems.push(`${key} must be a number, 0 or more`);
        else pushLimit(problems, key, v);
      } else if (typeof b === 'string') {
        if (typeof v !== 'string' || (path === 'priorities' && !PRIORITIES.has(v))) problems.push(`${key} must be one of low, medium, high`);
        else pushLimit(problems, key, v);
      }
    }
  };
  walk(override, DEFAULT_CONFIG, '');
  return problems;
}
