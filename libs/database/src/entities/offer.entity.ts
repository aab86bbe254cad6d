import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Fee, FloatingTerms } from '@app/domain';

/**
 * One row of a feed's current snapshot. Decimals are strings (Postgres numeric), never floats.
 * `city` is '' for a non-cash offer so it can be part of the primary key; the API shows it as null.
 */
@Entity({ name: 'offers' })
export class OfferEntity {
  @PrimaryColumn({ name: 'feed_id', type: 'integer' })
  feedId!: number;

  @PrimaryColumn({ name: 'from_code', type: 'varchar', length: 16 })
  fromCode!: string;

  @PrimaryColumn({ name: 'to_code', type: 'varchar', length: 16 })
  toCode!: string;

  @PrimaryColumn({ type: 'varchar', length: 32, default: '' })
  city!: string;

  @Column({ name: 'exchanger_id', type: 'integer' })
  exchangerId!: number;

  @Column({ name: 'amount_in', type: 'numeric' })
  amountIn!: string;

  @Column({ name: 'amount_out', type: 'numeric' })
  amountOut!: string;

  @Column({ type: 'numeric' })
  rate!: string;

  @Column({ type: 'numeric', nullable: true })
  reserve!: string | null;

  @Column({ name: 'from_min', type: 'numeric', nullable: true })
  fromMin!: string | null;

  @Column({ name: 'from_max', type: 'numeric', nullable: true })
  fromMax!: string | null;

  @Column({ name: 'to_min', type: 'numeric', nullable: true })
  toMin!: string | null;

  @Column({ name: 'to_max', type: 'numeric', nullable: true })
  toMax!: string | null;

  @Column({ name: 'from_fee', type: 'jsonb', default: () => "'[]'" })
  fromFee!: Fee[];

  @Column({ name: 'to_fee', type: 'jsonb', default: () => "'[]'" })
  toFee!: Fee[];

  @Column({ name: 'min_fee', type: 'jsonb', default: () => "'[]'" })
  minFee!: Fee[];

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  flags!: string[];

  /** A floating rate's terms, `{"percent": "1", "minutes": 30}` (either may be null); null when fixed. */
  @Column({ type: 'jsonb', nullable: true })
  floating!: FloatingTerms | null;

  /** Minutes the exchange may take, when the feed says (`<delay>`). */
  @Column({ name: 'delay_minutes', type: 'integer', nullable: true })
  delayMinutes!: number | null;

  /** Fingerprint of the values above (see offerFingerprint): how the writer tells a changed row. */
  @Column({ type: 'bigint', default: 0 })
  fp!: string;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
