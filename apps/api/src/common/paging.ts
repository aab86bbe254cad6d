import { ApiProperty } from '@nestjs/swagger';

/** The `nextCursor` of a keyset-paged answer, documented once: pass it back as `cursor`; null on the last page. */
export const ApiNextCursor = (): PropertyDecorator =>
  ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'the cursor of the next page (pass it as `cursor`); null on the last page',
  });
