import { MigrationInterface } from 'typeorm';

/** Reserved for the rate history's storage changes (issue 20); nothing yet. */
export class HistoryStorage1764073400000 implements MigrationInterface {
  name = 'HistoryStorage1764073400000';

  async up(): Promise<void> {}

  async down(): Promise<void> {}
}
