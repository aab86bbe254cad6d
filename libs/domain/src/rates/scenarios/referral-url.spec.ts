import { describe, expect, it } from 'vitest';
import { buildReferralUrl } from '../referral-url';

describe('scenario: the referral URL of a click-through', () => {
  it.each([
    ['https://x.example/?rid=123', 'https://x.example/?rid=123&cur_from=BTC&cur_to=SBERRUB'],
    ['https://x.example/ref/abc/', 'https://x.example/ref/abc/?cur_from=BTC&cur_to=SBERRUB'],
    [
      'https://x.example/?R=7&cur_from=ETH&cur_to=USD&lang=ru',
      'https://x.example/?R=7&lang=ru&cur_from=BTC&cur_to=SBERRUB',
    ],
    ['https://x.example/go?rid=1#top', 'https://x.example/go?rid=1&cur_from=BTC&cur_to=SBERRUB#top'],
  ])('%s → %s', (referral, expected) => {
    expect(buildReferralUrl(referral, 'BTC', 'SBERRUB', null)).toBe(expected);
  });

  it('passes the city on', () => {
    expect(buildReferralUrl('https://x.example/?rid=1', 'USDTTRC20', 'CASHUSD', 'MSK')).toBe(
      'https://x.example/?rid=1&cur_from=USDTTRC20&cur_to=CASHUSD&city=MSK',
    );
  });

  it('keeps the registered host whatever the codes hold', () => {
    const url = new URL(
      buildReferralUrl('https://x.example/?rid=1', 'https://evil.example/', '\r\nLocation: //evil', '@evil.example'),
    );
    expect(url.host).toBe('x.example');
    expect(url.toString()).not.toMatch(/\r|\n/);
  });
});
