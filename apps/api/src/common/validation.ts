import { applyDecorators, ArgumentMetadata, BadRequestException, ValidationPipe } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** An optional `limit` query parameter: a whole number from 1 to `max`, `fallback` when absent. */
export function QueryLimit(fallback: number, max: number): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ default: fallback, minimum: 1, maximum: max }),
    IsOptional(),
    Type(() => Number),
    IsInt({ message: 'limit must be a whole number' }),
    Min(1, { message: 'limit must be at least 1' }),
    Max(max, { message: `limit must be at most ${max}` }),
  );
}

/** Deepest JSON body the API takes: admin bodies are two levels deep; a deeper one is an attack or a mistake. */
export const MAX_BODY_DEPTH = 16;

/** True when `value` nests objects or arrays deeper than `max` levels (iterative: no recursion to blow up). */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<{ node: unknown; depth: number }> = [{ node: value, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    // Scalars have no depth; a raw feed body (feed-check) is a Buffer: walking its bytes would cost a megabyte of work per request.
    if (node === null || typeof node !== 'object' || ArrayBuffer.isView(node)) continue;
    if (depth >= max) return true;
    for (const child of Object.values(node as Record<string, unknown>)) stack.push({ node: child, depth: depth + 1 });
  }
  return false;
}

/**
 * The API's ValidationPipe (whitelist, no unknown fields, transform), which first refuses bodies
 * nested deeper than MAX_BODY_DEPTH: class-transformer walks them recursively and would overflow the
 * stack (a 500) on a few thousand levels.
 */
export class ApiValidationPipe extends ValidationPipe {
  constructor() {
    super({ transform: true, whitelist: true, forbidNonWhitelisted: true });
  }

  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && nestedDeeperThan(value, MAX_BODY_DEPTH)) {
      throw new BadRequestException([`the JSON body is nested deeper than ${MAX_BODY_DEPTH} levels`]);
    }
    return super.transform(value, metadata);
  }
}
