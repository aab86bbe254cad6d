import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 21 (rate integrity of the history): `history_feeds.missed` — a drain recorded bests while the feed was
 * hidden though history still held it shown (its re-evaluation had not come yet), so those bests left its
 * offers out. The next re-evaluation treats such a feed, if shown by then, as shown again: without the word, a
 * feed hidden and shown again between two re-evaluations around a drain never had the offers of the writes that
 * drain took in the history.
 */
export class HistoryFeedsMissed1764074500000 implements MigrationInterface {
  name = 'HistoryFeedsMissed1764074500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE history_feeds ADD COLUMN missed boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE history_feeds DROP COLUMN missed`);
  }
}
