import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import { DATE_TIME, NULLABLE_DATE_TIME } from '../admin-docs';

/** `{name}` of a new key: what it is for, so an operator knows which one to revoke. */
export class CreateExchangerKeyDto {
  @ApiProperty({ example: 'aura support desk', maxLength: 100, description: '1-100 characters, not blank' })
  @IsString({ message: 'name must be 1-100 characters' })
  @MaxLength(100, { message: 'name must be 1-100 characters' })
  @Matches(/\S/, { message: 'name must be 1-100 characters' })
  name!: string;
}

/** A key scoped to one exchanger, as listed (never its text nor its hash). */
export class ExchangerKeyDto {
  @ApiProperty({ example: 12 }) id!: number;
  @ApiProperty({ example: 'aura support desk' }) name!: string;
  @ApiProperty({ example: 'rw_Xk2pQ9a', description: 'the first 10 characters of the key, to recognise it' })
  prefix!: string;
  @ApiProperty({ example: 'aura', description: 'the slug of the exchanger it is scoped to' }) exchanger!: string;
  @ApiProperty({ example: 3 }) exchangerId!: number;
  @ApiProperty(DATE_TIME) createdAt!: string;
  @ApiProperty(NULLABLE_DATE_TIME) lastUsedAt!: string | null;
  @ApiProperty({ ...NULLABLE_DATE_TIME, description: 'revoked with `admin:key revoke ID`' }) revokedAt!: string | null;
}

export class ExchangerKeyListDto {
  @ApiProperty({ type: [ExchangerKeyDto] }) items!: ExchangerKeyDto[];
}

/** A new key: its text is in this answer only (stored as a hash), so keep it now. */
export class CreatedExchangerKeyDto extends ExchangerKeyDto {
  @ApiProperty({
    example: 'rw_Xk2pQ9a…',
    description: 'the key itself, shown this once: send it as Authorization: Bearer <key> to /v1/exchanger/…',
  })
  key!: string;
}
