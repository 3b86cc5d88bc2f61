// A raw TCP connection to a server, for requests no HTTP client will send: bodies and headers
// trickled a byte at a time, bodies left unfinished, requests cut in the middle.

import { connect, type Socket } from 'node:net';

export interface RawConnection {
  socket: Socket;
  /** Everything received so far, as latin1 text. */
  received: () => string;
  /** Resolves when the server has closed the connection: how, and whether it reset it. */
  closed: Promise<{ error: NodeJS.ErrnoException | undefined }>;
  write: (data: string | Buffer) => Promise<void>;
  /** Resolves once `received()` matches `pattern`; rejects after `ms`. */
  waitFor: (pattern: RegExp, ms: number) => Promise<string>;
  /** Writes `data` one byte every `intervalMs` until done or the connection closes. */
  trickle: (data: string, intervalMs: number) => Promise<void>;
}

export async function openRaw(port: number): Promise<RawConnection> {
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let text = '';
  let ended = false;
  const waiters = new Set<() => void>();
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    for (const w of waiters) w();
  });
  const closed = new Promise<{ error: NodeJS.ErrnoException | undefined }>((resolve) => {
    let error: NodeJS.ErrnoException | undefined;
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e));
    socket.on('close', () => {
      ended = true;
      for (const w of waiters) w();
      resolve({ error });
    });
  });
  const write = (data: string | Buffer) =>
    new Promise<void>((resolve) => {
      if (ended || socket.destroyed) return resolve();
      socket.write(data, () => resolve());
    });
  return {
    socket,
    received: () => text,
    closed,
    write,
    waitFor: (pattern, ms) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          if (pattern.test(text)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(text);
          } else if (ended) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`connection closed without ${pattern}; received: ${text.slice(0, 500)}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${pattern} within ${ms} ms; received: ${text.slice(0, 500)}`));
        }, ms);
        waiters.add(check);
        check();
      }),
    trickle: async (data, intervalMs) => {
      for (const byte of data) {
        if (ended || socket.destroyed) return;
        await write(byte);
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
    },
  };
}

/** The status code of the first HTTP response in `text`, or undefined. */
export function statusOf(text: string): number | undefined {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
  return m === null ? undefined : Number(m[1]);
}

/** The body of the first response in `text` (after its blank line), for a content-length body. */
export function bodyOf(text: string): string {
  const split = text.indexOf('\r\n\r\n');
  const head = text.slice(0, split);
  const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
  return text.slice(split + 4, split + 4 + length);
}
