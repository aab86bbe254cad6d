import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** One problem of the request, with the field it is about when there is one. */
export class ApiErrorDetailDto {
  @ApiPropertyOptional({ example: 'amount', description: 'the query parameter or body field (dotted when nested)' })
  field?: string;

  @ApiProperty({ example: 'amount must be a positive decimal like 0.5 (digits and one dot)' })
  message!: string;
}

/**
 * Every error answer of the API, whatever produced it (validation, a domain rule, a malformed or too
 * large body, an unknown route, the rate limit, an unavailable dependency).
 */
export class ApiErrorDto {
  @ApiProperty({ example: 400, description: 'the HTTP status, repeated' })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request', description: "the status's standard name" })
  error!: string;

  @ApiProperty({
    example: 'amount must be a positive decimal like 0.5 (digits and one dot)',
    description: 'what went wrong and what to fix, always one string (several problems joined by "; ")',
  })
  message!: string;

  @ApiPropertyOptional({
    type: [ApiErrorDetailDto],
    description: 'present for invalid input: every problem, one per entry, with its field',
  })
  details?: ApiErrorDetailDto[];
}

/** The body of an error answer (ApiErrorDto as a plain type). */
export interface ApiErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: Array<{ field?: string; message: string }>;
}
