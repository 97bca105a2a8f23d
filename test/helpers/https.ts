import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';

export interface HttpsAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One request on a new connection (no agent), trusting `ca` only. */
export function httpsRequest(url: string, ca: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { ca, agent: false, method: init.method ?? 'GET', headers: init.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.once('error', reject);
    req.end(init.body);
  });
}

/** The serial of the certificate a new TLS connection to `port` is shown (verified against `ca`). */
export function servedSerial(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca }, () => {
      const serial = s.getPeerCertificate().serialNumber;
      s.end();
      resolve(serial);
    });
    s.once('error', reject);
  });
}

/** Write `bytes` on a plain TCP connection and resolve with whatever came back once it closed. */
export function rawExchange(port: number, bytes: Buffer): Promise<{ reply: Buffer; error: string | null }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: string | null = null;
    const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
    s.on('data', (c) => chunks.push(c));
    s.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    s.on('close', () => resolve({ reply: Buffer.concat(chunks), error }));
  });
}
