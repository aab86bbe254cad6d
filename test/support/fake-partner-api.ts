import { readFileSync } from 'node:fs';
import { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { FeedServer } from './feed-server';

const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/partner-api', name), 'utf8');

export interface PartnerRequest {
  method: string;
  apiMethod: string | null;
  apiKey: string | null;
  query: URLSearchParams;
  body: string;
}

/**
 * A fake exchanger partner API on loopback: serves the shared fixtures at /api.php for the right key,
 * the engine's errors for a wrong one, and records every request (to check windows and filters).
 */
export class FakePartnerApi {
  readonly server = new FeedServer();
  readonly requests: PartnerRequest[] = [];
  apiKey = 'partner-secret-key';
  disabled = false;
  /** Overrides per method: a function of the request's start/end. */
  exchanges: ((start: number, end: number) => Record<string, unknown>) | null = null;
  /** For the next request for `method` (once): its answer is sent when the promise `until` returns settles. */
  holdAnswer: { method: string; until: () => Promise<unknown> } | null = null;

  async start(): Promise<this> {
    await this.server.start();
    this.server.serve('/api.php', (req) => this.answer(req));
    this.server.serve('/html', { body: '<!DOCTYPE html><html><title>404</title></html>', contentType: 'text/html' });
    return this;
  }

  get url(): string {
    return this.server.url('/api.php');
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  private answer(req: IncomingMessage): { body: string; contentType: string; after?: Promise<unknown> } {
    const answer = this.answerOf(req);
    const hold = this.holdAnswer;
    const method = new URL(req.url ?? '/', 'http://x').searchParams.get('method');
    if (!hold || hold.method !== method) return answer;
    this.holdAnswer = null;
    return { ...answer, after: hold.until() };
  }

  private answerOf(req: IncomingMessage): { body: string; contentType: string } {
    const url = new URL(req.url ?? '/', 'http://x');
    const body = (req as IncomingMessage & { rawBody?: string }).rawBody ?? '';
    const record = {
      method: req.method ?? 'GET',
      apiMethod: url.searchParams.get('method'),
      apiKey: url.searchParams.get('api_key'),
      query: url.searchParams,
      body,
    };
    this.requests.push(record);
    const json = (value: unknown) => ({
      body: typeof value === 'string' ? value : JSON.stringify(value),
      contentType: 'application/json',
    });
    if (record.apiKey !== this.apiKey) return json(fixture('pp-error-key.json'));
    if (this.disabled) return json({ error: 1, error_text: 'Api disabled' });
    switch (record.apiMethod) {
      case 'get_info':
        return json(fixture('pp-get_info.json'));
      case 'get_exchanges': {
        if (!this.exchanges) return json(fixture('pp-get_exchanges.json'));
        const start = Number(url.searchParams.get('start_time'));
        const end = Number(url.searchParams.get('end_time'));
        return json({ error: 0, error_text: '', data: { items: this.exchanges(start, end) } });
      }
      case 'get_links':
        return json(fixture('pp-get_links.json'));
      case null:
      default:
        return json(fixture('pp-empty-no-data.json'));
    }
  }
}
