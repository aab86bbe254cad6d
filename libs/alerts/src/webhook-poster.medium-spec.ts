import { createSocket, Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusyError, UnavailableError } from '@app/domain';
import { MAX_CONCURRENT_WEBHOOK_CHECKS, WebhookPoster } from './webhook-poster';

/** A DNS server on UDP: A records by name, `silent.` names never answered (a resolver that hangs). */
function startDns(records: Record<string, string>): Promise<Socket> {
  const socket = createSocket('udp4');
  socket.on('message', (query, from) => {
    let at = 12;
    const labels: string[] = [];
    while (query[at]! > 0) {
      labels.push(query.subarray(at + 1, at + 1 + query[at]!).toString('ascii'));
      at += query[at]! + 1;
    }
    const name = labels.join('.').toLowerCase();
    const type = query.readUInt16BE(at + 1);
    const question = query.subarray(12, at + 5);
    if (name.startsWith('silent.')) return;
    const address = records[name];
    const answers: Buffer[] = [];
    if (address && type === 1) {
      const answer = Buffer.alloc(16);
      answer.writeUInt16BE(0xc00c, 0);
      answer.writeUInt16BE(1, 2);
      answer.writeUInt16BE(1, 4);
      answer.writeUInt32BE(60, 6);
      answer.writeUInt16BE(4, 10);
      address.split('.').forEach((octet, i) => answer.writeUInt8(Number(octet), 12 + i));
      answers.push(answer);
    }
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2);
    header.writeUInt16BE(address ? 0x8180 : 0x8183, 2); // NXDOMAIN for unknown names
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    socket.send(Buffer.concat([header, question, ...answers]), from.port, from.address);
  });
  return new Promise((resolve) => socket.bind(0, '127.0.0.1', () => resolve(socket)));
}

/** The webhook address check at creation, against a local DNS server. */
describe('WebhookPoster.problemWith', () => {
  let dns: Socket;
  let poster: WebhookPoster;

  beforeAll(async () => {
    dns = await startDns({ 'public.example': '93.184.215.14', 'inside.example': '10.20.30.40' });
    poster = new WebhookPoster(false, { dnsServers: [`127.0.0.1:${dns.address().port}`] });
  });

  afterAll(async () => {
    await poster?.close();
    dns?.close();
  });

  it('accepts a host with public addresses only, refuses one that does not resolve', async () => {
    expect(await poster.problemWith('https://public.example/hook')).toBeNull();
    expect(await poster.problemWith('https://nowhere.example/hook')).toMatch(/does not resolve/);
  });

  it('refuses a host resolving to an internal address without telling the address', async () => {
    const problem = await poster.problemWith('https://inside.example/hook');
    expect(problem).toMatch(/private or internal address/);
    expect(problem).not.toMatch(/10\.20|30\.40/);
    expect(await poster.problemWith('http://localhost:8080/hook')).toMatch(/private or internal address/);
  });

  it('answers "try again" when the resolver does not answer, and refuses at once past the checks allowed at once', async () => {
    const hanging = Array.from({ length: MAX_CONCURRENT_WEBHOOK_CHECKS }, (_, i) =>
      poster.problemWith(`https://silent.example/${i}`),
    );
    await expect(poster.problemWith('https://public.example/hook')).rejects.toThrow(BusyError);
    for (const check of hanging) await expect(check).rejects.toThrow(UnavailableError);
    // The slots are free again.
    expect(await poster.problemWith('https://public.example/hook')).toBeNull();
  });
});
