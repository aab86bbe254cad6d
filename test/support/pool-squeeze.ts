import { DataSource, QueryRunner } from 'typeorm';

/** The part of pg's Pool the squeeze wraps (TypeORM asks it for connections with a callback). */
interface PoolLike {
  connect(callback: (error: Error | undefined, client: unknown, done: unknown) => void): void;
}

/**
 * Takes every connection of a small pool on demand, so that the next statement's wait for one fails
 * ("timeout exceeded when trying to connect": a database that cannot take the work), and gives them back
 * the moment such a wait fails: code that then records a failure of its own (as if the work were at fault)
 * would get a connection for it, so a test can see that it does not.
 */
export class PoolSqueeze {
  private readonly holders: QueryRunner[] = [];
  private readonly pool: PoolLike;
  private readonly connect: PoolLike['connect'];

  constructor(
    private readonly dataSource: DataSource,
    private readonly size: number,
  ) {
    this.pool = (dataSource.driver as unknown as { master: PoolLike }).master;
    this.connect = this.pool.connect.bind(this.pool);
    this.pool.connect = (callback) =>
      this.connect((error, client, done) => {
        if (error) this.release();
        callback(error, client, done);
      });
  }

  /** Takes all `size` connections; resolves when they are held. */
  take(): Promise<unknown> {
    const taken = Array.from({ length: this.size }, () => this.dataSource.createQueryRunner());
    this.holders.push(...taken);
    return Promise.all(taken.map((holder) => holder.connect()));
  }

  /** How many connections the squeeze still holds (0 once a wait for one failed). */
  get held(): number {
    return this.holders.length;
  }

  release(): void {
    for (const holder of this.holders.splice(0)) void holder.release();
  }

  /** Gives the connections back and unwraps the pool. */
  stop(): void {
    this.release();
    this.pool.connect = this.connect;
  }
}
