// --settings FILE: engine settings over the defaults, in the shape a site override is stored in
// and checked as the settings API checks it, so a preset measured here can be applied as is.
import { readFileSync } from 'node:fs';
import { DEFAULT_CONFIG, mergeConfig, overrideProblems, type DeepPartial, type EngineConfig } from '../../src/engine/index.ts';
import { UsageError } from './args.ts';

export function settingsFrom(file: string | null): EngineConfig {
  if (file === null) return DEFAULT_CONFIG;
  let override: unknown;
  try {
    override = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`--settings ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const problems = overrideProblems(override);
  if (problems.length > 0) throw new UsageError(`--settings ${file}: ${problems.join('; ')}`);
  return mergeConfig(DEFAULT_CONFIG, override as DeepPartial<EngineConfig>);
}
