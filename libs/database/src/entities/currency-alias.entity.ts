import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Maps a code an exchanger writes to a catalog code; `exchangerId` null = global. */
@Entity({ name: 'currency_aliases' })
export class CurrencyAliasEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 64 })
  alias!: string;

  @Column({ name: 'exchanger_id', type: 'integer', nullable: true })
  exchangerId!: number | null;

  @Column({ type: 'varchar', length: 16 })
  code!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
