import { loadConfig, ConfigError } from './config/index.ts';
import { startService } from './runtime.ts';

// The service's process entry.
try {
  await startService(loadConfig());
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(err instanceof ConfigError ? 78 : 1); // 78: EX_CONFIG
}
