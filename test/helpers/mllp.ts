import net from 'node:net';
import tls from 'node:tls';

const START = 0x0b;
const END = Buffer.from([0x1c, 0x0d]);

/** A minimal MLLP sender: one connection, send a message, read its framed reply. */
export class MllpClient {
  private buf = Buffer.alloc(0);
  private waiters: Array<(msg: string) => void> = [];
  readonly closed: Promise<void>;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      for (;;) {
        const end = this.buf.indexOf(END);
        if (end < 0) break;
        const start = this.buf.indexOf(START);
        const msg = this.buf.subarray(start + 1, end).toString('utf8');
        this.buf = this.buf.subarray(end + 2);
        this.waiters.shift()?.(msg);
      }
    });
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
    socket.on('error', (err) => this.errors.push(err));
  }

  static connect(port: number): Promise<MllpClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new MllpClient(s)));
      s.once('error', reject);
    });
  }

  /**
   * Over TLS, trusting `options.ca`. Resolves once the handshake is done on this side; under
   * TLS 1.3 the server judges a client certificate after that, so a refusal shows as the
   * connection closing (`closed`) with no reply.
   */
  static connectTls(port: number, options: tls.ConnectionOptions): Promise<MllpClient> {
    return new Promise((resolve, reject) => {
      const s = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ...options }, () => resolve(new MllpClient(s)));
      s.once('error', reject);
    });
  }

  /** The socket's errors after connecting (a refused client certificate arrives as one): kept, not thrown. */
  readonly errors: Error[] = [];

  /** Send framed bytes (optionally split in pieces) and resolve with the reply. */
  send(message: string | Buffer, pieces = 1): Promise<string> {
    const framed = Buffer.concat([Buffer.from([START]), Buffer.from(message), END]);
    const reply = new Promise<string>((resolve) => this.waiters.push(resolve));
    const size = Math.ceil(framed.length / pieces);
    for (let i = 0; i < framed.length; i += size) this.socket.write(framed.subarray(i, i + size));
    return reply;
  }

  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  end(): void {
    this.socket.end();
  }
}

/** The fields of one segment of an HL7 message, e.g. seg(ack, 'MSA') -> ['MSA', 'AA', 'id', ...]. */
export function seg(message: string, name: string): string[] | undefined {
  return message.split(/\r\n|\r|\n/).find((l) => l.startsWith(`${name}|`))?.split('|');
}
