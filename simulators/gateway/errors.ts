/** A condition retrying cannot fix: refused key, revoked key, malformed URL. */
export class GatewayFatalError extends Error {
  constructor(
    readonly code: 'unauthorized' | 'bad_url' | 'policy_violation',
    message: string,
  ) {
    super(message);
    this.name = 'GatewayFatalError';
  }
}

/** Checks the ingest URL before any connection is tried. */
export function checkIngestUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new GatewayFatalError('bad_url', `malformed URL: ${JSON.stringify(url)} (expected ws://host:port/v1/ingest)`);
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') {
    throw new GatewayFatalError('bad_url', `URL must start with ws:// or wss://, got ${u.protocol}//`);
  }
  return u;
}
