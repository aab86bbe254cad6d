import { ClientRequest, request as httpRequest } from 'node:http';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateStreams } from '../../apps/api/src/public/stream/rate-streams.service';
import { DESKTOP, item, PagesFixture, rates } from '../support/browser';
import { waitFor } from '../support/processes';

/** The monitoring page follows its table through the live stream, and polls when the stream is not there. */
describe('the monitoring page and the live stream, in Chromium', () => {
  const fx = new PagesFixture();
  const held: ClientRequest[] = [];

  beforeAll(async () => {
    await fx.start();
    await fx.addExchanger(
      'aura',
      'Aura Exchange',
      rates(item('BTC', 'SBERRUB', '6900000', '<amount>9000000</amount>')),
    );
    await fx.addExchanger('bitok', 'Bitok', rates(item('BTC', 'SBERRUB', '6850000', '<amount>20000000</amount>')));
  });

  afterAll(async () => {
    for (const request of held) request.destroy();
    await fx.stop();
  });

  /** The table requests the page makes (GET /v1/rates?…, not the stream, not the history), as they happen. */
  function tableRequests(page: Page): string[] {
    const seen: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname === '/v1/rates') seen.push(url.search);
    });
    return seen;
  }

  /** Bitok's rate is now `out`, polled: the table's first row changes to whoever is best. */
  async function changeBitok(out: string): Promise<void> {
    fx.feeds.serve('/bitok.xml', { body: rates(item('BTC', 'SBERRUB', out, '<amount>20000000</amount>')) });
    expect((await fx.poll('bitok')).status).toBe('ok');
  }

  const firstRow = (page: Page) => page.locator('#rates tbody tr td:first-child a.go').first().textContent();

  it('updates the table from the stream, with no polling, and shows that it is live', async () => {
    const page = await fx.browser.newPage(DESKTOP);
    const polled = tableRequests(page);
    const streamed: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/v1/rates/stream') streamed.push(request.url());
    });
    await page.goto(`${fx.api.url}/?from=BTC&to=SBERRUB`);
    await page.waitForSelector('#live:not([hidden])');
    expect(await page.locator('#live').textContent()).toBe('live');
    expect(await firstRow(page)).toBe('Aura Exchange');
    expect(streamed).toHaveLength(1);
    expect(new URL(streamed[0]!).searchParams.get('from')).toBe('BTC');
    const pollsBefore = polled.length;

    await changeBitok('7000000');
    await page.waitForFunction(
      () => document.querySelector('#rates tbody tr td:first-child a.go')?.textContent === 'Bitok',
    );
    // The change came through the stream: no table request since the stream opened.
    expect(polled.slice(pollsBefore)).toEqual([]);
    expect(await page.locator('#live').isVisible()).toBe(true);

    // And the next one.
    await changeBitok('6800000');
    await page.waitForFunction(
      () => document.querySelector('#rates tbody tr td:first-child a.go')?.textContent === 'Aura Exchange',
    );
    expect(polled.slice(pollsBefore)).toEqual([]);

    // Russian: the mark says so in Russian.
    await page.click('button[data-lang="ru"]');
    expect(await page.locator('#live').textContent()).toBe('в реальном времени');
    await page.close();
    await waitFor('the api to let the page’s stream go', () => fx.api.app.get(RateStreams).size === 0);
  });

  it('falls back to polling when the stream is refused (the address holds every stream it may)', async () => {
    // This address (the test's and the browser's: 127.0.0.1) takes every slot STREAM_MAX_PER_IP allows.
    const limit = fx.api.config.stream.maxPerIp;
    for (let i = 0; i < limit; i++) held.push(await holdStream(`${fx.api.url}/v1/rates/stream?from=BTC&to=SBERRUB`));
    const page = await fx.browser.newPage(DESKTOP);
    const polled = tableRequests(page);
    const refused: number[] = [];
    page.on('response', (response) => {
      if (new URL(response.url()).pathname === '/v1/rates/stream') refused.push(response.status());
    });
    await page.goto(`${fx.api.url}/?from=BTC&to=SBERRUB`);
    await page.waitForSelector('#rates tbody tr');
    await waitFor('the stream to be refused', () => refused.includes(429));
    expect(await page.locator('#live').isHidden()).toBe(true);

    const pollsBefore = polled.length;
    await changeBitok('7100000');
    await page.waitForFunction(
      () => document.querySelector('#rates tbody tr td:first-child a.go')?.textContent === 'Bitok',
      undefined,
      { timeout: 15_000 },
    );
    // The change came by polling.
    expect(polled.length).toBeGreaterThan(pollsBefore);
    expect(await page.locator('#live').isHidden()).toBe(true);
    await page.close();
    for (const request of held.splice(0)) request.destroy();
    await waitFor('the held streams to be let go', () => fx.api.app.get(RateStreams).size === 0);
  });

  it('polls in a browser without EventSource', async () => {
    const page = await fx.browser.newPage(DESKTOP);
    await page.addInitScript(() => {
      delete (window as { EventSource?: unknown }).EventSource;
    });
    const polled = tableRequests(page);
    await page.goto(`${fx.api.url}/?from=BTC&to=SBERRUB`);
    await page.waitForSelector('#rates tbody tr');
    expect(await page.locator('#live').isHidden()).toBe(true);
    const pollsBefore = polled.length;
    await changeBitok('6700000');
    await page.waitForFunction(
      () => document.querySelector('#rates tbody tr td:first-child a.go')?.textContent === 'Aura Exchange',
      undefined,
      { timeout: 15_000 },
    );
    expect(polled.length).toBeGreaterThan(pollsBefore);
    expect(fx.api.app.get(RateStreams).size).toBe(0);
    await page.close();
  });
});

/** Opens a stream and keeps it open (a raw request: no EventSource), once the api has answered 200. */
function holdStream(url: string): Promise<ClientRequest> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers: { accept: 'text/event-stream' } }, (response) => {
      if (response.statusCode !== 200) return reject(new Error(`stream refused: ${response.statusCode}`));
      response.resume();
      resolve(request);
    });
    request.on('error', () => undefined);
    request.end();
  });
}
