import { MigrationInterface, QueryRunner } from 'typeorm';

/** Reserved for issue 21: history recorded after the write, out of the write transaction's locks. */
export class HistoryRecorder1764073600000 implements MigrationInterface {
  name = 'HistoryRecorder1764073600000';

  async up(_q: QueryRunner): Promise<void> {}

  async down(_q: QueryRunner): Promise<void> {}
}
