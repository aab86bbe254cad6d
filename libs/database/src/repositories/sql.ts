import { ConflictError } from '@app/domain';

/** TypeORM answers UPDATE/DELETE … RETURNING with [rows, affected count]; INSERT/SELECT with rows. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number')
    return result[0] as T[];
  return result as T[];
}

export function assignments(
  fields: object,
  columns: Record<string, string>,
  firstParam: number,
): { sets: string[]; values: unknown[] } {
  const sets: string[] = [];
  const values: unknown[] = [];
  for (const [field, value] of Object.entries(fields)) {
    const column = columns[field];
    if (column === undefined || value === undefined) continue;
    values.push(value);
    sets.push(`${column} = $${firstParam + values.length - 1}`);
  }
  return { sets, values };
}

/**
 * Runs a write whose refusal by a unique index (`message`) or a foreign key (`missing`, by default "<first
 * word of message> refers to something that does not exist") is the caller's conflict (409), not a 500.
 */
export async function unique<T>(query: Promise<T>, message: string, missing?: string): Promise<T> {
  try {
    return await query;
  } catch (error) {
    if ((error as { code?: string }).code === '23505') throw new ConflictError(message);
    if ((error as { code?: string }).code === '23503')
      throw new ConflictError(missing ?? `${message.split(' ')[0]} refers to something that does not exist`);
    throw error;
  }
}
