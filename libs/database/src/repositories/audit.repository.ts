import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

/** Who made an admin change: the admin key (null for the CLI or the bootstrap key). */
export interface Actor {
  keyId: number | null;
}

/** What an audited change returns: the row before and after, and what the caller gets back. */
export interface AuditedChange<T> {
  before: unknown;
  after: unknown;
  result?: T;
  /** The entity's id when the row has no numeric `id` (a currency code, an alias id). */
  entityId?: string;
}

/**
 * Runs `change` in a transaction and writes its audit row (which key, what, when, before/after) in the
 * same transaction, so the audit never misses a committed change. Every admin repository's writes go
 * through it.
 */
export async function auditedTransaction<T>(
  dataSource: DataSource,
  actor: Actor,
  action: 'create' | 'update' | 'delete',
  entity: string,
  change: (tx: EntityManager) => Promise<AuditedChange<T>>,
): Promise<T> {
  return dataSource.transaction(async (tx) => {
    const { before, after, result, entityId } = await change(tx);
    const subject = (after ?? before) as { id?: number } | null;
    if (subject !== null) {
      await tx.query(
        `INSERT INTO admin_audit (key_id, action, entity, entity_id, before, after) VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          actor.keyId,
          action,
          entity,
          entityId ?? (subject.id === undefined ? null : String(subject.id)),
          before === null ? null : JSON.stringify(before),
          after === null ? null : JSON.stringify(after),
        ],
      );
    }
    return (result !== undefined ? result : after) as T;
  });
}

/** The admin audit log. */
@Injectable()
export class AuditRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  listAudit(limit: number): Promise<unknown[]> {
    return this.dataSource.query(
      `SELECT a.id::text AS id, a.at, a.key_id AS "keyId", k.name AS "keyName", a.action, a.entity, a.entity_id AS "entityId", a.before, a.after
       FROM admin_audit a LEFT JOIN api_keys k ON k.id = a.key_id ORDER BY a.id DESC LIMIT $1`,
      [limit],
    );
  }
}
