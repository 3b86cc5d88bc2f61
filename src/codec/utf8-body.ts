// JSON request bodies must be UTF-8 (RFC 8259). Decoding with replacement would store an invalid
// service name as U+FFFD and answer 202, so every JSON ingest path (POST /spans, POST /logs,
// OTLP/JSON) checks its bytes here first and refuses the body with the field that holds them.
//
// The check is buffer.isUtf8 over the whole body: one SIMD pass, far cheaper than the JSON parse
// that follows. Only a refused body is looked at again, to name the field.

import { isUtf8 } from 'node:buffer';
import { fieldPath } from './field-path.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * undefined when `bytes` are valid UTF-8; otherwise why not, naming the JSON field that holds the
 * first invalid byte: `spans[3].service: not valid UTF-8`.
 */
export function utf8Problem(bytes: Buffer): string | undefined {
  if (isUtf8(bytes)) return undefined;
  const at = firstInvalidByte(bytes);
  const field = fieldAt(bytes, at);
  if (field === undefined) return `the request body is not valid UTF-8 (byte ${at})`;
  const subject = field.path === '' ? 'the request body' : field.path;
  return field.isKey ? `${subject}: a key is not valid UTF-8` : `${subject}: not valid UTF-8`;
}

/**
 * An offset inside the first invalid sequence, or just past it. The decoder replaces that sequence
 * with U+FFFD and copies everything before it unchanged, so the re-encoded text first differs from
 * the body there (at most two bytes in, for a sequence that starts like U+FFFD's own EF BF).
 */
function firstInvalidByte(bytes: Buffer): number {
  const reencoded = Buffer.from(bytes.toString('utf8'), 'utf8');
  let i = 0;
  while (i < bytes.length && bytes[i] === reencoded[i]) i++;
  return i;
}

interface Container {
  isArray: boolean;
  /** In an object: the last key read (whose value is being read unless expectingKey). */
  key: string;
  /** In an array: the index of the current element. */
  index: number;
  /** In an object: the next string is a key. */
  expectingKey: boolean;
}

/** Where a string is: the field as a client writes it (`spans[3].tags`), and whether it is a key of it. */
interface StringField {
  path: string;
  isKey: boolean;
}

/**
 * The field whose string holds byte `at`, or undefined when `at` is not inside a string. Only bytes
 * before `at` are read, and they are valid UTF-8; JSON's structure is ASCII, so they are scanned as
 * bytes. The body may be invalid JSON past that point: the UTF-8 problem is reported first.
 */
function fieldAt(bytes: Buffer, at: number): StringField | undefined {
  const stack: Container[] = [];
  let i = 0;
  while (i < at) {
    const c = bytes[i]!;
    if (c === QUOTE) {
      const open = i++;
      while (i < at && bytes[i] !== QUOTE) i += bytes[i] === BACKSLASH ? 2 : 1;
      const top = stack[stack.length - 1];
      const isKey = top !== undefined && top.expectingKey;
      if (i >= at) return { path: pathOf(stack, isKey), isKey };
      if (isKey) {
        top.key = keyText(bytes, open, i + 1);
        top.expectingKey = false;
      }
    } else if (c === 0x7b /* { */) {
      stack.push({ isArray: false, key: '', index: 0, expectingKey: true });
    } else if (c === 0x5b /* [ */) {
      stack.push({ isArray: true, key: '', index: 0, expectingKey: false });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top === undefined) return undefined;
      if (top.isArray) top.index++;
      else top.expectingKey = true;
    }
    i++;
  }
  return undefined;
}

function keyText(bytes: Buffer, from: number, to: number): string {
  const raw = bytes.toString('utf8', from, to);
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.slice(1, -1);
  }
}

/** The path of the value being read in `stack`; for a key, of the object it is a key of. */
function pathOf(stack: readonly Container[], isKey: boolean): string {
  let pointer = '';
  const depth = isKey ? stack.length - 1 : stack.length;
  for (let d = 0; d < depth; d++) {
    const container = stack[d]!;
    const segment = container.isArray ? String(container.index) : container.key;
    pointer += '/' + segment.replace(/~/g, '~0').replace(/\//g, '~1');
  }
  return fieldPath(pointer);
}
