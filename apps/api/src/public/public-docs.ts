import { applyDecorators, Type } from '@nestjs/common';
import { ApiHeader, ApiNotModifiedResponse, ApiOkResponse } from '@nestjs/swagger';

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
      description,
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
