import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One feed per URL: the same export registered twice would be polled twice and its offers shown twice —
 * or, under another exchanger, publish one exchanger's rates as another's. URLs are stored normalized
 * (WHATWG form) by the api, so `HTTPS://Aura.Example:443/x` and `https://aura.example/x` are one URL.
 * Installations that already hold duplicates are told which, instead of losing a feed silently.
 */
export class FeedUrlUnique1764072700000 implements MigrationInterface {
  name = 'FeedUrlUnique1764072700000';

  async up(q: QueryRunner): Promise<void> {
    const duplicates = (await q.query(
      `SELECT array_agg(id ORDER BY id) AS ids FROM feeds GROUP BY url HAVING count(*) > 1 LIMIT 20`,
    )) as Array<{ ids: number[] }>;
    if (duplicates.length > 0) {
      throw new Error(
        `feeds share a URL (delete all but one of each, then migrate again): ${duplicates
          .map((d) => `feeds ${d.ids.join(', ')}`)
          .join('; ')}`,
      );
    }
    await q.query(`CREATE UNIQUE INDEX feeds_url ON feeds (url)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX feeds_url`);
  }
}
