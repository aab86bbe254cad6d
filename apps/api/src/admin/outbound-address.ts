import { InvalidFieldError } from '@app/domain';
import { isForbiddenAddress } from '@app/http-client';

/**
 * A URL ratewatch will fetch (a feed, a partner API) whose host is a private, loopback or link-local IP
 * literal is refused when it is registered (unless FETCH_ALLOW_PRIVATE), not first when it is fetched;
 * a host name is checked where it matters, when the fetcher resolves it.
 */
export function requirePublicAddress(field: string, url: string, allowPrivate: boolean): void {
  if (allowPrivate || !isForbiddenAddress(new URL(url).hostname)) return;
  throw new InvalidFieldError(
    `${field} points to a private, loopback or link-local address; ratewatch only fetches from the public internet (or set FETCH_ALLOW_PRIVATE=true)`,
  );
}
