/**
 * The click-through target: the exchanger's registered referral URL with `cur_from` and `cur_to` set
 * (an existing value replaced, everything else kept) and `city` when given. Only the registered URL is
 * ever used as the base, so `/go` can never redirect anywhere else.
 */
export function buildReferralUrl(referralUrl: string, from: string, to: string, city: string | null): string {
  const url = new URL(referralUrl);
  const keep = url.search
    .replace(/^\?/, '')
    .split('&')
    .filter(
      (part) => part !== '' && !/^(cur_from|cur_to|city)=/i.test(part) && !/^(cur_from|cur_to|city)$/i.test(part),
    );
  keep.push(`cur_from=${encodeURIComponent(from)}`, `cur_to=${encodeURIComponent(to)}`);
  if (city) keep.push(`city=${encodeURIComponent(city)}`);
  url.search = `?${keep.join('&')}`;
  return url.toString();
}
