// Entry point of `npm run evaluate`: for each noise profile and seed, generate a cohort, run it
// through the engine under the simulated clinic, match the alerts against the ground truth and
// print the measures (or, with --json, one JSON object). Progress goes to stderr.
import type { EngineConfig } from '../../src/engine/index.ts';
import { UsageError } from './args.ts';
import { evaluate, type Progress } from './evaluate.ts';
import { USAGE, parseEvaluateArgs, type EvaluateArgs } from './options.ts';
import { settingsFrom } from './settings.ts';
import { report } from './table.ts';

/** One stderr line per 10 % of each phase of each profile and seed. */
function progressLines(started: number): (p: Progress) => void {
  const last = new Map<string, number>();
  return ({ profile, seed, phase, done }) => {
    const key = `${profile}/${seed}/${phase}`;
    const tenth = Math.floor(done * 10);
    if (tenth <= (last.get(key) ?? 0)) return;
    last.set(key, tenth);
    const what = {
      generate: 'of days generated', score: 'of devices scored',
      'lifecycle-generate': 'of days generated (with lifecycle events)', 'lifecycle-score': 'of patients scored (lifecycle, both ways)',
    }[phase];
    const secs = ((performance.now() - started) / 1000).toFixed(0);
    process.stderr.write(`evaluate: ${profile}, seed ${seed}: ${tenth * 10} % ${what} (${secs} s)\n`);
  };
}

function main(): number {
  let args: EvaluateArgs;
  let config: EngineConfig;
  try {
    args = parseEvaluateArgs(process.argv.slice(2));
    config = settingsFrom(args.settings);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`evaluate: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const settings = args.settings ? `; settings ${args.settings}` : '';
  const lifecycle = args.lifecycle ? '; and again with lifecycle events' : '';
  process.stderr.write(`evaluate: ${args.profiles.join(', ')} × seeds ${args.seeds.join(', ')}; ${args.patients} patients × ${args.days} days each${settings}${lifecycle}\n`);
  const result = evaluate({
    profile: args.profiles, seeds: args.seeds, patients: args.patients, days: args.days, clinic: args.clinic, config,
    lifecycle: args.lifecycle, onProgress: progressLines(performance.now()),
  });
  process.stdout.write(args.json ? `${JSON.stringify(result, null, 2)}\n` : `${report(result)}\n`);
  return 0;
}

process.exitCode = main();
