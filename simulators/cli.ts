// Entry point of `npm run simulate`. Progress goes to stderr, the summary to stdout as JSON.
import cliProgress from 'cli-progress';
import { UsageError, USAGE, parseCli, type CliOptions } from './cli-args.ts';
import { GatewayFatalError } from './gateway/errors.ts';
import { runSimulation } from './run.ts';

async function main(): Promise<number> {
  let cli: CliOptions;
  try {
    cli = parseCli(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`simulate: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (cli.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const bar = cli.quiet ? null : new cliProgress.SingleBar({
    stream: process.stderr,
    format: 'simulate |{bar}| day {value}/{total} | sent {sent} | acked {acked}',
    hideCursor: true,
  }, cliProgress.Presets.shades_classic);
  bar?.start(cli.sim.days, 0, { sent: 0, acked: 0 });
  const abort = new AbortController();
  process.once('SIGINT', () => {
    // First Ctrl-C: stop generating and wait for acks of what was sent; the second kills.
    process.stderr.write('\nstopping: waiting for outstanding acks (Ctrl-C again to quit now)\n');
    abort.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  try {
    const summary = await runSimulation({
      ...cli.sim,
      signal: abort.signal,
      onProgress: (p) => bar?.update(Math.floor(p.simDays), { sent: p.sent, acked: p.acked }),
      // Clear the bar's line first; its next update draws it again below the message.
      log: (line) => process.stderr.write(`${bar ? '\r\x1b[K' : ''}${line}\n`),
    });
    bar?.stop();
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return summary.rejected > 0 || summary.failed > 0 ? 1 : 0;
  } catch (e) {
    bar?.stop();
    if (e instanceof GatewayFatalError || e instanceof RangeError) {
      process.stderr.write(`simulate: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

main().then((code) => process.exit(code), (e: unknown) => {
  process.stderr.write(`simulate: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
