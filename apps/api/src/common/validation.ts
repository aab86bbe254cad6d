import { applyDecorators } from '@nestjs/common';
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
