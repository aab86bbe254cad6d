import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A visitor leaving for an exchanger through `/go`. Never the raw IP: a salted daily visitor hash. */
@Entity({ name: 'clicks' })
export class ClickEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'exchanger_id', type: 'integer' })
  exchangerId!: number;

  @Column({ name: 'from_code', type: 'varchar', length: 16 })
  fromCode!: string;

  @Column({ name: 'to_code', type: 'varchar', length: 16 })
  toCode!: string;

  @Column({ type: 'varchar', length: 32, nullable: true })
  city!: string | null;

  @Column({ type: 'timestamptz' })
  at!: Date;

  /** UTC day of `at`: the unit of uniqueness. */
  @Column({ type: 'date' })
  day!: string;

  @Column({ name: 'visitor_hash', type: 'varchar', length: 64 })
  visitorHash!: string;

  @Column({ type: 'text', nullable: true })
  referrer!: string | null;

  @Column({ name: 'is_bot', type: 'boolean', default: false })
  isBot!: boolean;

  @Column({ name: 'is_unique', type: 'boolean', default: false })
  isUnique!: boolean;
}
