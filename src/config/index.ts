import path from 'node:path';
import { parseEnv, type ConfigIssue } from './schema.ts';

export type { Config } from './schema.ts';
export { ConfigError } from './schema.ts';

/**
 * Read the service configuration from the environment, once, at start.
 * Throws ConfigError listing every problem, so an operator fixes them in one go.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()) {
  return parseEnv(env, (p) => path.resolve(cwd, p));
}

export type { ConfigIssue };
