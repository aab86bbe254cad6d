import { Injectable } from '@nestjs/common';
import { Actor, AdminCity, CatalogRepository, CityAliasRow } from '@app/database';
import { CITY_PATTERN, InvalidFieldError, NotFoundError } from '@app/domain';
import type { CreateCityAliasDto, CreateCityDto, UpdateCityDto } from './cities.dto';

/**
 * The city catalog as the admin manages it. Every change is audited and bumps the catalog version: the
 * api's `city` lookups see it within a second, and feeds store a new alias's city as its code from
 * their next poll.
 */
@Injectable()
export class CityAdminService {
  constructor(private readonly catalog: CatalogRepository) {}

  cities(): Promise<AdminCity[]> {
    return this.catalog.listCities();
  }

  createCity(actor: Actor, dto: CreateCityDto): Promise<AdminCity> {
    return this.catalog.createCity(actor, { ...dto, country: dto.country ?? null });
  }

  async updateCity(actor: Actor, code: string, dto: UpdateCityDto): Promise<AdminCity> {
    const city = CITY_PATTERN.test(code.toUpperCase())
      ? await this.catalog.updateCity(actor, code.toUpperCase(), dto)
      : null;
    if (!city)
      throw new NotFoundError(`no city ${code.replace(/\p{C}/gu, '?').slice(0, 32)}: GET /v1/admin/cities lists them`);
    return city;
  }

  async createAlias(actor: Actor, dto: CreateCityAliasDto): Promise<CityAliasRow> {
    const { codes } = await this.catalog.loadCities();
    if (!codes.includes(dto.code)) throw new InvalidFieldError(`code ${dto.code} is not a city of the catalog`);
    return this.catalog.createCityAlias(actor, dto);
  }

  async deleteAlias(actor: Actor, id: number): Promise<void> {
    if (!(await this.catalog.deleteCityAlias(actor, id))) throw new NotFoundError(`no city alias ${id}`);
  }
}
