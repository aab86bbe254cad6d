import { Injectable } from '@nestjs/common';
import { ClicksRepository } from '@app/database';
import { visitorIdentity, VisitorIdentity } from '@app/domain';

/**
 * Who is posting (DESIGN.md §11): the daily visitor hash of IP and user agent, as clicks store it, and a
 * keyed hash of the IP. The secret is read once (it never changes); a failed read is retried next time.
 */
@Injectable()
export class VisitorIdentities {
  private secret: Promise<string> | null = null;

  constructor(private readonly clicks: ClicksRepository) {}

  async of(ip: string, userAgent: string | undefined): Promise<VisitorIdentity> {
    this.secret ??= this.clicks.visitorSecret().catch((error: unknown) => {
      this.secret = null;
      throw error;
    });
    return visitorIdentity(await this.secret, ip, userAgent ?? '', new Date());
  }
}
