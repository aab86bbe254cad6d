import { describe, expect, it } from 'vitest';
import { Dec } from '../../decimal';
import { calculate } from '../calculator';
import { BTC, offer, SBERRUB } from './scenario.fixture';

describe('scenario: fees and their units', () => {
  it('charges a fixed fee on the side its unit names, whatever field it came in', () => {
    const result = calculate(
      offer({ rate: '1000000', fromFee: [{ kind: 'fixed', value: '100', unit: 'RUB' }] }),
      new Dec('1'),
      'give',
      BTC,
      SBERRUB,
    );
    expect(result.ok && result.get.toFixed()).toBe('999900');
  });

  it('ignores a fee in a unit of neither side, with a warning', () => {
    const result = calculate(
      offer({ rate: '1000000', toFee: [{ kind: 'fixed', value: '5', unit: 'EUR' }] }),
      new Dec('1'),
      'give',
      BTC,
      SBERRUB,
    );
    expect(result).toMatchObject({ ok: true, warnings: ['a fee in EUR names neither BTC nor SBERRUB and is ignored'] });
    expect(result.ok && result.get.toFixed()).toBe('1000000');
  });
});
