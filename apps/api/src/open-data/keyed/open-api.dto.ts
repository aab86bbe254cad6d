import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class OpenCurrencyDto {
  @ApiProperty({
    example: 93,
    description: "the currency's id: the catalog's bestchange_id (ours from 1000000 without one)",
  })
  id!: number;
  @ApiProperty({ example: 'BTC', description: 'the catalog code (BestChange’s export code)' }) code!: string;
  @ApiProperty({ example: 'Bitcoin (BTC)', description: 'the name in the language of the path' }) name!: string;
  @ApiProperty({ example: 'BTC', description: 'the short name (the ticker)' }) viewname!: string;
  @ApiProperty({ example: true }) crypto!: boolean;
  @ApiProperty({ example: false }) cash!: boolean;
  @ApiProperty({
    example: 0,
    description: 'the kind, as bm_cy.dat codes it: 0 crypto, 1 e-money, 2 bank, 3 internet banking, 4 transfer, 5 cash',
  })
  group!: number;
}

export class OpenCurrenciesDto {
  @ApiProperty({ type: [OpenCurrencyDto] }) currencies!: OpenCurrencyDto[];
}

export class OpenReviewsDto {
  @ApiProperty({ example: 0, description: 'open claims (open or answered)' }) claim!: number;
  @ApiProperty({ example: 120, description: 'published positive reviews' }) positive!: number;
  @ApiProperty({ example: 3 }) neutral!: number;
  @ApiProperty({ example: 1 }) negative!: number;
}

export class OpenChangerDto {
  @ApiProperty({ example: 7, description: 'the exchanger id of bm_exch.dat and of `changer` in rates' }) id!: number;
  @ApiProperty({ example: 'Aura' }) name!: string;
  @ApiProperty({ example: true, description: 'always true: only active exchangers are listed' }) active!: boolean;
  @ApiProperty({
    example: '125000',
    description: 'whole US dollars: its shown reserves, each currency once, at the market’s USD values',
  })
  reserve!: string;
  @ApiProperty({ type: OpenReviewsDto }) reviews!: OpenReviewsDto;
}

export class OpenChangersDto {
  @ApiProperty({ type: [OpenChangerDto] }) changers!: OpenChangerDto[];
}

export class OpenPresenceDto {
  @ApiProperty({ example: '93-42', description: 'a direction with shown offers: from id - to id' }) pair!: string;
}

export class OpenPresencesDto {
  @ApiProperty({ type: [OpenPresenceDto] }) presences!: OpenPresenceDto[];
}

export class OpenRateDto {
  @ApiProperty({ example: 7, description: 'the exchanger id' }) changer!: number;
  @ApiProperty({
    example: '0.0000001449275362318841',
    description: 'what you give per 1 unit you get (in ÷ out; lower is better), 16 significant digits',
  })
  rate!: string;
  @ApiProperty({
    example: '0.0000001452101160133412',
    description:
      'the rate at RANKRATE_REFERENCE_USD dollars’ worth of the currency given, fees, limits and rounding included, ' +
      'in the orientation of `rate`; equal to `rate` when the market values the currency in no USD',
  })
  rankrate!: string;
  @ApiProperty({ example: '2500000', description: 'in the currency received; 0 when the feed gives none' })
  reserve!: string;
  @ApiProperty({ example: '0.001', description: 'the least you may give (0 when not limited)' }) inmin!: string;
  @ApiProperty({
    example: '2',
    description: 'the most you may give: its limit, else the reserve at the rate (0 when neither is known)',
  })
  inmax!: string;
  @ApiProperty({ type: 'array', items: {}, example: [], description: 'always empty (BestChange’s fee details)' })
  extra!: never[];
  @ApiProperty({
    example: ['manual'],
    description: "the offer's flags (manual, verifying, cardverify, reg, floating, delay…)",
  })
  marks!: string[];
  @ApiPropertyOptional({ example: 1, description: 'on cash offers: the city id of bm_cities.dat' }) city?: number;
}

export class OpenRatesDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'array', items: { $ref: '#/components/schemas/OpenRateDto' } },
    example: {
      '93-42': [
        {
          changer: 7,
          rate: '0.00000014',
          rankrate: '0.000000145',
          reserve: '2500000',
          inmin: '0.001',
          inmax: '2',
          extra: [],
          marks: [],
        },
      ],
    },
    description: 'the shown offers of each pair asked for, best first; an empty list for a pair nobody offers',
  })
  rates!: Record<string, OpenRateDto[]>;
}
