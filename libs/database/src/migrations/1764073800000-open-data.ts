import { MigrationInterface, QueryRunner } from 'typeorm';

/** Reserved for issue 22: open data (partner keys of the keyed API, their quotas and daily usage). */
export class OpenData1764073800000 implements MigrationInterface {
  name = 'OpenData1764073800000';

  async up(_q: QueryRunner): Promise<void> {}

  async down(_q: QueryRunner): Promise<void> {}
}
