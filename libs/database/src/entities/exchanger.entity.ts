import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const EXCHANGER_STATUSES = ['active', 'paused', 'disabled'] as const;
export type ExchangerStatus = (typeof EXCHANGER_STATUSES)[number];

@Entity({ name: 'exchangers' })
export class ExchangerEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 63, unique: true })
  slug!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'site_url', type: 'text' })
  siteUrl!: string;

  /** Opaque: every engine differs. `/go` only ever adds `cur_from`/`cur_to` (and `city`) to it. */
  @Column({ name: 'referral_url', type: 'text' })
  referralUrl!: string;

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status!: ExchangerStatus;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
