// Schema validation and its messages.
//
// Two Ajv instances: query strings and path parameters arrive as text and are coerced to the
// schema's types (limit=20 → 20); JSON bodies are not coerced, so `"service": 5` is a 400 and not
// silently the string "5". Messages name the field the way a client writes it: spans[3].span_id.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { fieldPath } from '../codec/field-path.js';

// ajv-formats ships CommonJS with the plugin on `default`.
type FormatsPlugin = (ajv: Ajv) => Ajv;
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
  (addFormatsModule as unknown as FormatsPlugin)) as FormatsPlugin;

/**
 * Any 8-4-4-4-12 hex UUID, either case. Stricter than ajv-formats (no "urn:uuid:" prefix) and
 * looser than RFC 4122 versions, because W3C trace ids map onto UUIDs whatever their nibbles.
 */
export const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function makeAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: false, strict: false });
  addFormats(ajv);
  ajv.addFormat('uuid', UUID_PATTERN);
  return ajv;
}

/** A validator for JSON bodies checked outside Fastify's route validation (POST /spans). */
export function compileBodyValidator(schema: object): ValidateFunction {
  return makeAjv(false).compile(schema);
}

export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const coercing = makeAjv(true);
  const strict = makeAjv(false);
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing;
    return ajv.compile(schema as object) as ValidateFunction;
  };
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** One clear sentence for the first validation error. */
export function describeValidationError(error: ErrorObject, part: string): string {
  const path = fieldPath(error.instancePath);
  const subject = path === '' ? (part === 'body' ? 'the request body' : part) : path;
  const p = error.params as Record<string, unknown>;
  // A key breaking `propertyNames`: the error's path is its object's, so the key is named here.
  if (error.propertyName !== undefined && error.keyword === 'maxLength') {
    const key = error.propertyName.length > 40 ? `${error.propertyName.slice(0, 40)}…` : error.propertyName;
    return `${subject}: keys must be at most ${String(p.limit)} characters, and ${JSON.stringify(key)} is longer`;
  }
  switch (error.keyword) {
    case 'required': {
      const missing = String(p.missingProperty);
      return `${path === '' ? missing : `${path}.${missing}`} is required`;
    }
    case 'format':
      if (p.format === 'uuid') return `${subject} must be a UUID`;
      if (p.format === 'int64') return `${subject} must be a 64-bit integer`;
      return `${subject} must be a valid ${String(p.format)}`;
    case 'type':
      return `${subject} must be ${article(String(p.type))}`;
    case 'enum':
      return `${subject} must be one of: ${(p.allowedValues as unknown[]).join(', ')}`;
    case 'maxItems':
      return `${subject} must hold at most ${String(p.limit)} items`;
    case 'minItems':
      return `${subject} must hold at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}`;
    case 'maxLength':
      return `${subject} must be at most ${String(p.limit)} characters`;
    case 'maxProperties':
      return `${subject} must have at most ${String(p.limit)} entries`;
    case 'minimum':
    case 'maximum':
      return `${subject} must be ${String(p.comparison)} ${String(p.limit)}`;
    default:
      return `${subject} ${error.message ?? 'is invalid'}`;
  }
}

export function schemaErrorFormatter(errors: ErrorObject[], dataVar: string): Error {
  const first = errors[0];
  return new Error(first === undefined ? `${dataVar} is invalid` : describeValidationError(first, dataVar));
}
