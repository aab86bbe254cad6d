import { Column, Entity, PrimaryColumn } from 'typeorm';

export type CurrencyKind = 'crypto' | 'emoney' | 'bank' | 'online_banking' | 'cash' | 'transfer';

@Entity({ name: 'currencies' })
export class CurrencyEntity {
  @PrimaryColumn({ type: 'varchar', length: 16 })
  code!: string;

  @Column({ name: 'bestchange_id', type: 'integer', nullable: true })
  bestchangeId!: number | null;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  ticker!: string;

  @Column({ type: 'varchar', length: 16 })
  iso!: string;

  @Column({ type: 'varchar', length: 32 })
  kind!: CurrencyKind;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
