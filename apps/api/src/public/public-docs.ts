import { applyDecorators, Type } from '@nestjs/common';
import { ApiHeader, ApiNotModifiedResponse, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator';

/**
 * The OpenAPI side of an answer sent with `sendCacheable`: 200 with `type` and its ETag and Cache-Control,
 * 304 with no body when `If-None-Match` names the current ETag.
 */
export function ApiCacheableOk(type: Type<unknown>, description?: string): MethodDecorator {
  return applyDecorators(
    ApiHeader({
      name: 'If-None-Match',
      required: false,
      description: 'the ETag of an answer you hold: 304 with no body while it is still current',
    }),
    ApiOkResponse({
      type,
      description: description ?? 'the answer, with its ETag',
      headers: {
        ETag: { description: 'strong validator of this answer', schema: { type: 'string' } },
        'Cache-Control': {
          description: '`public, max-age=PUBLIC_CACHE_SECONDS` (or `no-cache` when it is 0)',
          schema: { type: 'string' },
        },
      },
    }),
    ApiNotModifiedResponse({ description: 'the answer named by If-None-Match is still current (no body)' }),
  );
}

/**
 * The OpenAPI side of a public controller: its resource's tag, no credentials (`security: [{}]`, said
 * explicitly so clients and linters do not guess), and the errors every public operation can answer: 429
 * past the per-address limit, 503 while the database is unreachable.
 */
export function PublicApi(tag: string): ClassDecorator {
  return applyDecorators(ApiTags(tag), ApiSecurity({}), ApiErrors(429, 503));
}
