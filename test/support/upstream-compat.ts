// Whether one OpenAPI document is a compatible extension of another: every path, method, status
// code, parameter and schema property of the upstream Traced contract kept with its type, and no
// request the upstream accepts refused. Used by test/http/openapi-upstream.test.ts.

import { derefSchema, type Json, type JsonObject } from './http.js';

type Direction = 'request' | 'response';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * Problems that would break a client of `up` talking to a server of `proj`: a property gone or
 * retyped, a response field no longer required, a request accepted upstream now refused.
 */
function schemaCompat(up: Json, proj: Json | undefined, path: string, direction: Direction): string[] {
  if (up === null || typeof up !== 'object' || Array.isArray(up)) return [];
  if (proj === undefined || proj === null || typeof proj !== 'object' || Array.isArray(proj)) {
    return [`${path}: missing from the project contract`];
  }
  const problems: string[] = [];
  for (const keyword of ['type', 'format']) {
    if (up[keyword] !== undefined && JSON.stringify(up[keyword]) !== JSON.stringify(proj[keyword])) {
      problems.push(`${path}.${keyword}: upstream ${JSON.stringify(up[keyword])}, project ${JSON.stringify(proj[keyword])}`);
    }
  }
  if (Array.isArray(up.enum)) {
    const upSet = new Set(up.enum.map((v) => JSON.stringify(v)));
    const projEnum = Array.isArray(proj.enum) ? proj.enum.map((v) => JSON.stringify(v)) : undefined;
    if (projEnum === undefined) {
      if (direction === 'response') problems.push(`${path}.enum: no longer restricted`);
    } else if (direction === 'response' ? projEnum.some((v) => !upSet.has(v)) : [...upSet].some((v) => !projEnum.includes(v))) {
      problems.push(`${path}.enum: upstream ${JSON.stringify(up.enum)}, project ${JSON.stringify(proj.enum)}`);
    }
  }
  const upRequired = new Set((up.required ?? []) as string[]);
  const projRequired = new Set((proj.required ?? []) as string[]);
  if (direction === 'response') {
    for (const r of upRequired) if (!projRequired.has(r)) problems.push(`${path}.required: "${r}" no longer required in responses`);
  } else {
    for (const r of projRequired) if (!upRequired.has(r)) problems.push(`${path}.required: "${r}" newly required in requests`);
  }
  // Request bounds may only widen; response bounds may only narrow.
  const lower = ['minimum', 'minItems', 'minLength', 'minProperties'];
  const upper = ['maximum', 'maxItems', 'maxLength', 'maxProperties'];
  for (const k of [...lower, ...upper]) {
    const u = up[k];
    const p = proj[k];
    if (typeof u !== 'number') continue;
    const isLower = lower.includes(k);
    const looserOrEqual = p === undefined || (isLower ? (p as number) <= u : (p as number) >= u);
    const stricterOrEqual = p !== undefined && (isLower ? (p as number) >= u : (p as number) <= u);
    if (direction === 'request' ? !looserOrEqual : !stricterOrEqual) {
      problems.push(`${path}.${k}: upstream ${u}, project ${JSON.stringify(p ?? null)}`);
    }
  }
  for (const [name, sub] of Object.entries((up.properties ?? {}) as JsonObject)) {
    problems.push(...schemaCompat(sub, (proj.properties as JsonObject | undefined)?.[name], `${path}.properties.${name}`, direction));
  }
  if (up.items !== undefined) problems.push(...schemaCompat(up.items, proj.items, `${path}.items`, direction));
  if (up.additionalProperties !== undefined && typeof up.additionalProperties === 'object') {
    problems.push(...schemaCompat(up.additionalProperties, proj.additionalProperties, `${path}.additionalProperties`, direction));
  }
  return problems;
}

export function compatibilityProblems(upstream: JsonObject, project: JsonObject): string[] {
  const problems: string[] = [];
  const upPaths = upstream.paths as JsonObject;
  const projPaths = (project.paths ?? {}) as JsonObject;
  for (const [route, upItemJson] of Object.entries(upPaths)) {
    const upItem = upItemJson as JsonObject;
    const projItem = projPaths[route] as JsonObject | undefined;
    if (projItem === undefined) {
      problems.push(`path ${route} is missing`);
      continue;
    }
    for (const method of METHODS.filter((m) => m in upItem)) {
      const upOp = upItem[method] as JsonObject;
      const projOp = projItem[method] as JsonObject | undefined;
      const label = `${method.toUpperCase()} ${route}`;
      if (projOp === undefined) {
        problems.push(`${label} is missing`);
        continue;
      }
      for (const upParam of (upOp.parameters ?? []) as JsonObject[]) {
        const projParam = ((projOp.parameters ?? []) as JsonObject[]).find((p) => p.name === upParam.name && p.in === upParam.in);
        const plabel = `${label} parameter ${String(upParam.in)}.${String(upParam.name)}`;
        if (projParam === undefined) {
          problems.push(`${plabel} is missing`);
          continue;
        }
        if (upParam.required !== true && projParam.required === true) problems.push(`${plabel} became required`);
        problems.push(...schemaCompat(derefSchema(upstream, upParam.schema!), derefSchema(project, projParam.schema ?? null), plabel, 'request'));
      }
      const upBody = upOp.requestBody as JsonObject | undefined;
      if (upBody !== undefined) {
        const projBody = projOp.requestBody as JsonObject | undefined;
        if (projBody === undefined) problems.push(`${label} request body is missing`);
        else {
          if (upBody.required !== true && projBody.required === true) problems.push(`${label} request body became required`);
          for (const [media, content] of Object.entries((upBody.content ?? {}) as JsonObject)) {
            const projContent = ((projBody.content ?? {}) as JsonObject)[media] as JsonObject | undefined;
            if (projContent === undefined) problems.push(`${label} request ${media} is missing`);
            else {
              problems.push(
                ...schemaCompat(
                  derefSchema(upstream, (content as JsonObject).schema!),
                  derefSchema(project, projContent.schema ?? null),
                  `${label} request ${media}`,
                  'request',
                ),
              );
            }
          }
        }
      }
      for (const [status, upResponse] of Object.entries((upOp.responses ?? {}) as JsonObject)) {
        const projResponse = ((projOp.responses ?? {}) as JsonObject)[status] as JsonObject | undefined;
        if (projResponse === undefined) {
          problems.push(`${label} response ${status} is missing`);
          continue;
        }
        for (const [media, content] of Object.entries(((upResponse as JsonObject).content ?? {}) as JsonObject)) {
          const projContent = ((projResponse.content ?? {}) as JsonObject)[media] as JsonObject | undefined;
          if (projContent === undefined) problems.push(`${label} response ${status} ${media} is missing`);
          else {
            problems.push(
              ...schemaCompat(
                derefSchema(upstream, (content as JsonObject).schema!),
                derefSchema(project, projContent.schema ?? null),
                `${label} response ${status} ${media}`,
                'response',
              ),
            );
          }
        }
      }
    }
  }
  const upSchemas = ((upstream.components as JsonObject).schemas ?? {}) as JsonObject;
  const projSchemas = (((project.components ?? {}) as JsonObject).schemas ?? {}) as JsonObject;
  for (const [name, schema] of Object.entries(upSchemas)) {
    const up = derefSchema(upstream, schema);
    const proj = projSchemas[name] === undefined ? undefined : derefSchema(project, projSchemas[name]!);
    // A component may be used both ways (Span is sent and received): both directions must hold.
    problems.push(...schemaCompat(up, proj, `components.schemas.${name}`, 'response'));
    problems.push(...schemaCompat(up, proj, `components.schemas.${name}`, 'request'));
  }
  return [...new Set(problems)];
}
