import { MigrationInterface, QueryRunner } from 'typeorm';

/** Reserved for issue 21: the snapshot write path's schema (indexes, keys). */
export class SnapshotWrites1764073700000 implements MigrationInterface {
  name = 'SnapshotWrites1764073700000';

  async up(_q: QueryRunner): Promise<void> {}

  async down(_q: QueryRunner): Promise<void> {}
}
