import { MigrationInterface } from 'typeorm';

/** Reserved for alerts and their deliveries (issue 20); nothing yet. */
export class Alerts1764073500000 implements MigrationInterface {
  name = 'Alerts1764073500000';

  async up(): Promise<void> {}

  async down(): Promise<void> {}
}
