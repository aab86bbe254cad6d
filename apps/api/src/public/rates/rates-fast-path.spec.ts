import { createServer, IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ifNoneMatchOf } from './rates-fast-path';

/** The request as node:http parses it, with the header fields given (in order, repeats allowed). */
async function parsed(fields: Array<[string, string]>): Promise<IncomingMessage> {
  const server = createServer();
  const received = new Promise<IncomingMessage>((resolve) =>
    server.once('request', (message: IncomingMessage, response) => {
      response.end();
      resolve(message);
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const sent = new Promise<void>((resolve, reject) => {
      const req = request({ port, host: '127.0.0.1', path: '/v1/rates?from=A&to=B', agent: false }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      for (const [name, value] of fields) req.appendHeader(name, value);
      req.on('error', reject);
      req.end();
    });
    const message = await received;
    await sent;
    return message;
  } finally {
    server.close();
  }
}

describe('ifNoneMatchOf', () => {
  it('reads If-None-Match from the raw header list as request.headers would give it', async () => {
    for (const fields of [
      [],
      [['If-None-Match', '"a"']],
      [['if-none-match', 'W/"a"']],
      [
        ['IF-NONE-MATCH', '"a"'],
        ['X-Other', 'x'],
        ['If-None-Match', '"b", "c"'],
      ],
      [
        ['If-Match', '"a"'],
        ['If-None-Matches', '"b"'],
      ],
    ] as Array<Array<[string, string]>>) {
      const message = await parsed(fields);
      expect(ifNoneMatchOf(message.rawHeaders)).toBe(message.headers['if-none-match']);
    }
  });

  it('joins repeated fields with a comma, as node:http does', () => {
    expect(ifNoneMatchOf(['Host', 'x', 'If-None-Match', '"a"', 'if-none-match', '"b"'])).toBe('"a", "b"');
    expect(ifNoneMatchOf(['Host', 'x'])).toBeUndefined();
  });
});
