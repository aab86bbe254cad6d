import { MigrationInterface, QueryRunner } from 'typeorm';

const ARRAYS = ['froms', 'tos', 'shown_pairs', 'shown_cities', 'shown_rates'];

/**
 * Issue 21: a history mark's arrays stay in `history_pending`'s own pages. A poll that changed a tenth of a
 * 2,000-offer feed marks 200 pairs and carries 200 offers: a row of about 8 KB, about 3 KB compressed — past
 * the 2 KB at which PostgreSQL moves a row's largest values to the table's TOAST relation by default, so every
 * mark was written to two relations and two indexes, and every drain left dead rows in both for the vacuum.
 * With storage MAIN the values are still compressed, and moved out of line only when the row would not fit
 * in a page (a fully changed feed's mark of thousands of pairs). Measured on 2,000 such marks: 4 MB heap + 4 MB
 * TOAST → 8 MB heap and no TOAST; the vacuum after their drain 6.5 ms → 2.6 ms.
 */
export class HistoryPendingInlineMarks1764074500000 implements MigrationInterface {
  name = 'HistoryPendingInlineMarks1764074500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE history_pending ${ARRAYS.map((c) => `ALTER COLUMN ${c} SET STORAGE MAIN`).join(', ')}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE history_pending ${ARRAYS.map((c) => `ALTER COLUMN ${c} SET STORAGE EXTENDED`).join(', ')}`,
    );
  }
}
