/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClicksRepository, ReputationRepository } from '@app/database';
import { ADMIN_KEY, DESKTOP, item, PagesFixture, PHONE, rates, shot } from '../support/browser';
import { http, HttpAnswer } from '../support/http';
import { newVisitor, uniqueText } from '../support/reputation';

/** Markup and script a reviewer may type: both pages must show these characters, never run or parse them. */
const HOSTILE = `<img src=x onerror="window.pwned=1"><script>window.pwned=1</script>`;
const PRAISE = 'Fast and honest: my roubles arrived in ten minutes, as the rate said.';
const SIZES = [
  ['desktop', DESKTOP, 'bitok'],
  ['phone', PHONE, 'cova'],
] as const;

interface Submitted {
  id: string;
  state: string;
}

/**
 * Reputation on both reference pages in Chromium: counts and open claims beside every rate, the exchanger
 * panel with its latest reviews and open claims, the operator's moderation queues — every visitor's text
 * shown as text.
 */
describe('reputation on the monitoring and operator pages', () => {
  const fx = new PagesFixture();
  let visitors = 0;

  /** A visitor's post through the public API (each call a new browser, so the per-visitor limits never bite). */
  async function post(slug: string, what: 'reviews' | 'claims', body: object): Promise<Submitted> {
    const answer = await http<Submitted>(`${fx.api.url}/v1/exchangers/${slug}/${what}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': `ReputationPages/${++visitors}` },
      body: JSON.stringify(body),
    });
    expect(answer.status, answer.text).toBe(201);
    return answer.body;
  }
  const admin = <T>(method: string, path: string, body?: object): Promise<HttpAnswer<T>> =>
    http<T>(`${fx.api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  const pwned = (page: Page) => page.evaluate(() => (window as unknown as { pwned?: unknown }).pwned);
  const noSidewaysScroll = (page: Page) =>
    page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

  async function monitoring(viewport: typeof DESKTOP | typeof PHONE): Promise<Page> {
    const page = await fx.browser.newPage(viewport);
    await page.goto(`${fx.api.url}/?from=BTC&to=SBERRUB`);
    await page.locator('button.reviews[data-slug="aura"]').waitFor();
    return page;
  }

  async function operator(viewport: typeof DESKTOP | typeof PHONE): Promise<Page> {
    const page = await fx.browser.newPage(viewport);
    await page.addInitScript((key) => sessionStorage.setItem('ratewatch.adminKey', key), ADMIN_KEY);
    await page.goto(`${fx.api.url}/admin`);
    await page.locator('#moderation-summary').filter({ hasText: 'reviews' }).waitFor();
    return page;
  }

  beforeAll(async () => {
    await fx.start();
    for (const [slug, name, rate] of [
      ['aura', 'Aura Exchange', '6900000'],
      ['bitok', 'Bitok', '6850000'],
      ['cova', 'Cova', '6800000'],
      ['burst', 'Burst Co', '6700000'],
    ] as const)
      await fx.addExchanger(slug, name, rates(item('BTC', 'SBERRUB', rate, '<amount>9000000</amount>')));

    // Aura: a positive and a hostile negative review, published; one claim, accepted (open).
    for (const [tone, text] of [
      ['positive', PRAISE],
      ['negative', HOSTILE],
    ] as const) {
      const review = await post('aura', 'reviews', { tone, text });
      expect((await admin('POST', `/v1/admin/reviews/${review.id}/publish`)).status).toBe(200);
    }
    const claim = await post('aura', 'claims', {
      orderRef: 'A-1001',
      text: 'Sent 0.01 BTC on Monday, nothing received yet.',
      amount: '0.01',
      currency: 'BTC',
    });
    expect((await admin('POST', `/v1/admin/claims/${claim.id}/accept`)).status).toBe(200);

    // A burst of pending reviews of one exchanger, more than one address would be let post in a day
    // through the API: written through the repository, as the API would, from as many visitors.
    const reviews = fx.api.app.get(ReputationRepository);
    const secret = await fx.api.app.get(ClicksRepository).visitorSecret();
    const [burst] = await fx.pg
      .query<{ id: number }>(`SELECT id FROM exchangers WHERE slug = 'burst'`)
      .then((r) => r.rows);
    for (let i = 0; i < 6; i++)
      await reviews.submitReview({
        exchangerId: burst!.id,
        tone: 'positive',
        text: uniqueText(),
        visitor: newVisitor(secret),
      });
  });

  afterAll(() => fx.stop());

  for (const [size, viewport] of SIZES) {
    it(`shows review counts and open claims beside each rate, and the exchanger panel with its reviews as text (${size})`, async () => {
      const page = await monitoring(viewport);
      const counts = page.locator('button.reviews[data-slug="aura"]');
      expect(await counts.locator('[data-tone]').allTextContents()).toEqual(['😀 1', '😐 0', '😞 1']);
      expect(await counts.getAttribute('aria-label')).toBe('Reviews: 1 positive, 0 neutral, 1 negative — show them');
      const auraCell = page.locator('#rates tbody td', { has: counts });
      expect(await auraCell.locator('.claims-open').textContent()).toBe('1 open claim');
      // An exchanger with no claims shows no badge.
      expect(
        await page
          .locator('#rates tbody td', { has: page.locator('[data-slug="cova"]') })
          .locator('.claims-open')
          .count(),
      ).toBe(0);

      await counts.click();
      const panel = page.locator('#exchanger-panel');
      await panel.locator('li.review').nth(1).waitFor();
      expect(await page.locator('#panel-title').textContent()).toBe('Aura Exchange');
      expect(await page.locator('#panel-meta').textContent()).toMatch(/^Listed since \d{1,2} \w{3} \d{4}$/);
      // Newest first: the hostile review was published last, and shows as the characters typed.
      expect(await panel.locator('li.review .text').allTextContents()).toEqual([HOSTILE, PRAISE]);
      expect(await panel.locator('li.claim .text').allTextContents()).toEqual([
        'Sent 0.01 BTC on Monday, nothing received yet.',
      ]);
      expect(await panel.locator('li.claim .meta').textContent()).toContain('order A-1001');
      expect(await page.locator('#exchanger-panel img, #exchanger-panel script, #rates img').count()).toBe(0);
      expect(await pwned(page)).toBeUndefined();
      expect(await noSidewaysScroll(page)).toBe(true);
      await shot(page, `reputation-panel-${size}.png`, false);

      // In Russian too, and the panel closes.
      await page.locator('#panel-close').click();
      await panel.waitFor({ state: 'hidden' });
      await page.locator('[data-lang="ru"]').click();
      expect(await counts.getAttribute('aria-label')).toBe(
        'Отзывы: положительных 1, нейтральных 0, отрицательных 1 — показать',
      );
      await page.close();
    });

    it(`lets the operator publish and reject reviews and move claims, the burst highlighted; the monitoring page follows (${size})`, async () => {
      const slug = size === 'desktop' ? 'bitok' : 'cova';
      const good = await post(slug, 'reviews', {
        tone: 'positive',
        text: `${PRAISE} Again with ${slug}, as promised.`,
      });
      const bad = await post(slug, 'reviews', { tone: 'negative', text: `${HOSTILE} ${slug}` });
      const claim = await post(slug, 'claims', {
        orderRef: `${slug}-7`,
        text: 'The exchanger asked for a selfie after taking my coins.',
      });

      const page = await operator(viewport);
      const row = (id: string) => page.locator(`#reviews tr[data-review="${id}"]`);
      await row(bad.id).waitFor();
      // The hostile review in the queue: its characters, no element made of them.
      expect(await row(bad.id).locator('.text').textContent()).toBe(`${HOSTILE} ${slug}`);
      expect(await page.locator('#moderation img, #moderation script').count()).toBe(0);
      // The burst: its reviews tinted and marked, its exchanger listed above the queue.
      expect(await page.locator('#reviews tr.burst').count()).toBe(6);
      expect(await page.locator('#bursts li[data-burst="burst"]').textContent()).toContain('burst: 6 pending reviews');

      // Rejecting needs a reason: without one the API's refusal shows and the review stays.
      await row(bad.id).locator('[data-reject-review]').click();
      await page.locator('#moderation-notice').filter({ hasText: 'Not done' }).waitFor();
      expect(await row(bad.id).count()).toBe(1);
      await row(bad.id).locator('input.reason').fill('posted for a bonus');
      await row(bad.id).locator('[data-reject-review]').click();
      await row(bad.id).waitFor({ state: 'detached' });
      await row(good.id).locator('[data-publish]').click();
      await row(good.id).waitFor({ state: 'detached' });

      const claimRow = page.locator(`#claims tr[data-claim="${claim.id}"]`);
      await claimRow.locator('[data-accept]').click();
      await claimRow.waitFor({ state: 'detached' });
      await page.locator('#claim-state').selectOption('open');
      await claimRow.locator('input.reason').fill('refunded in full');
      await claimRow.locator('[data-resolve]').click();
      await claimRow.waitFor({ state: 'detached' });
      expect(await noSidewaysScroll(page)).toBe(true);
      expect(await pwned(page)).toBeUndefined();
      await shot(page, `reputation-moderation-${size}.png`);

      const rejected = await admin<{ items: Array<{ id: string; rejectReason: string }> }>(
        'GET',
        `/v1/admin/reviews?state=rejected&exchanger=${slug}`,
      );
      expect(rejected.body.items).toEqual([
        expect.objectContaining({ id: bad.id, rejectReason: 'posted for a bonus' }),
      ]);
      const resolved = await admin<{ items: Array<{ id: string }> }>(
        'GET',
        `/v1/admin/claims?state=resolved&exchanger=${slug}`,
      );
      expect(resolved.body.items.map((c) => c.id)).toEqual([claim.id]);
      await page.close();

      // The published review is counted and listed on the monitoring page; the rejected one is nowhere.
      const visitor = await monitoring(viewport);
      const counts = visitor.locator(`button.reviews[data-slug="${slug}"]`);
      expect(await counts.locator('[data-tone]').allTextContents()).toEqual(['😀 1', '😐 0', '😞 0']);
      await counts.click();
      await visitor.locator('#exchanger-panel li.review').first().waitFor();
      expect(await visitor.locator('#exchanger-panel li.review .text').allTextContents()).toEqual([
        `${PRAISE} Again with ${slug}, as promised.`,
      ]);
      expect(await visitor.locator('#panel-claims').textContent()).toBe('No open claims.');
      expect(await pwned(visitor)).toBeUndefined();
      await visitor.close();
    });
  }
});
