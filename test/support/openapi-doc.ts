// The contract documents as plain JSON: openapi.yaml (ours and upstream's), local JSON pointers and
// $ref expansion, for the contract validator in http.ts and the drift tests.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { projectRoot } from '../../src/http/paths.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const projectOpenapiPath = join(projectRoot, 'openapi.yaml');
export const upstreamOpenapiPath = '/work/shared/contract/openapi.yaml';

export function loadYaml(path: string): JsonObject {
  return parseYaml(readFileSync(path, 'utf8')) as JsonObject;
}

/** Follows a local JSON pointer ("#/components/schemas/Span") inside `doc`. */
export function resolvePointer(doc: JsonObject, ref: string): Json {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, got ${ref}`);
  let node: Json = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !(key in node)) {
      throw new Error(`unresolvable $ref ${ref}`);
    }
    node = (node as JsonObject)[key]!;
  }
  return node;
}

/** A deep copy of `node` with every local $ref replaced by (a deep copy of) its target. */
export function derefSchema(doc: JsonObject, node: Json, seen: readonly string[] = []): Json {
  if (Array.isArray(node)) return node.map((n) => derefSchema(doc, n, seen));
  if (node === null || typeof node !== 'object') return node;
  if (typeof node.$ref === 'string') {
    const ref = node.$ref;
    if (seen.includes(ref)) throw new Error(`recursive $ref ${ref} is not supported`);
    return derefSchema(doc, resolvePointer(doc, ref), [...seen, ref]);
  }
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(node)) out[k] = derefSchema(doc, v, seen);
  return out;
}
