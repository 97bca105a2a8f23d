import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { DisposablePg } from '../helpers/pg-server.ts';
import { freePort, startServiceProcess, type ServiceProcess } from '../helpers/process.ts';
import { seedGateway } from '../helpers/service.ts';
import { AckLedger } from './proxy.ts';

// What every fault scenario sets up: a database with one gateway, the service as its own
// process on a fixed port, and the relay that records what was sent and acked.

export interface FaultRunOptions {
  /**
   * A PostgreSQL server of the run's own (the scenario stops and starts it), or the suite's
   * shared server's admin URL (a database of its own there, dropped at the end).
   */
  readonly server: 'own' | { readonly adminUrl: string };
  /** The service's environment besides DATABASE_URL. */
  readonly env: Record<string, string>;
  /** The gateway's site code (the cohort's `sites`); a fresh one by default. */
  readonly site?: string;
}

export class FaultRun {
  private exitedEarly: number | null | undefined;

  private constructor(
    readonly dbUrl: string,
    /** The gateway key the simulator sends with. */
    readonly key: string,
    readonly port: number,
    private readonly env: Record<string, string>,
    public svc: ServiceProcess,
    readonly ledger: AckLedger,
    /** The run's own server, when it has one. */
    readonly server: DisposablePg | null,
    private readonly tdb: TestDatabase | null,
  ) {
    this.watch();
  }

  static async start(opts: FaultRunOptions): Promise<FaultRun> {
    let server: DisposablePg | null = null;
    let tdb: TestDatabase;
    if (opts.server === 'own') {
      server = new DisposablePg();
      await server.start();
      tdb = await createTestDatabase(server.adminUrl());
    } else {
      tdb = await createTestDatabase(opts.server.adminUrl);
    }
    let svc: ServiceProcess | null = null;
    try {
      const { key } = await seedGateway(tdb.db, opts.site);
      // A run on its own server lets go of its pool: the scenario stops that server.
      if (server) await tdb.close();
      const port = await freePort();
      const env = { ...opts.env, DATABASE_URL: tdb.url };
      svc = await startServiceProcess(env, [], port);
      const ledger = await AckLedger.start(() => `ws://127.0.0.1:${port}/v1/ingest`);
      return new FaultRun(tdb.url, key, port, env, svc, ledger, server, server ? null : tdb);
    } catch (err) {
      if (svc && svc.child.exitCode === null) await svc.stop('SIGKILL');
      if (!server) await tdb.drop();
      await server?.dispose();
      throw err;
    }
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The service again, on the same port (after the scenario killed or stopped it). */
  async restart(): Promise<void> {
    this.svc = await startServiceProcess(this.env, [], this.port);
    this.watch();
  }

  /** True while the service process runs and has not exited by itself. */
  alive(): boolean {
    return this.svc.child.exitCode === null && this.exitedEarly === undefined;
  }

  async dispose(): Promise<void> {
    if (this.svc.child.exitCode === null) await this.svc.stop('SIGKILL');
    await this.ledger.close();
    await this.tdb?.drop();
    await this.server?.dispose();
  }

  private watch(): void {
    this.exitedEarly = undefined;
    const svc = this.svc;
    void svc.exited.then((code) => {
      if (this.svc === svc) this.exitedEarly = code;
    });
  }
}
