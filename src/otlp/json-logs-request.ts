// OTLP/JSON logs → OtlpLogsRequest, with the span decoder's readers (json-request.ts): the same
// proto3 JSON rules, exact 64-bit times, ids as hex text, and a 400 naming the field whose value
// does not fit its type.

import { holdsMoreItemsThan, JsonRequestReader, parseOtlpJson } from './json-request.js';
import type { OtlpLogRecord, OtlpLogsRequest, OtlpResourceLogs } from './otlp-logs-request.js';
import { tooManyLogRecords } from './request-limits.js';

const SEVERITY_NUMBER_NAMES = [
  'SEVERITY_NUMBER_UNSPECIFIED',
  ...['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((level) => ['', '2', '3', '4'].map((n) => `SEVERITY_NUMBER_${level}${n}`)),
];
const LOGS_KEYS = ['resourceLogs', 'scopeLogs', 'logRecords'] as const;

class JsonLogsReader extends JsonRequestReader {
  logRecord(raw: unknown, path: string): OtlpLogRecord {
    const record = this.object(raw, path);
    return {
      timeUnixNano: this.integer64(record, 'timeUnixNano', path, false),
      observedTimeUnixNano: this.integer64(record, 'observedTimeUnixNano', path, false),
      severityNumber: this.enumValue(record, 'severityNumber', path, SEVERITY_NUMBER_NAMES),
      severityText: this.string(record, 'severityText', path),
      body: this.anyValue(this.field(record, 'body'), `${path}.body`),
      attributes: this.keyValues(this.array(record, 'attributes', path), `${path}.attributes`),
      traceId: this.string(record, 'traceId', path),
      spanId: this.string(record, 'spanId', path),
    };
  }

  logsRequest(): OtlpLogsRequest {
    const root = this.object(this.json.value, 'the request body');
    const resourceLogs: OtlpResourceLogs[] = this.array(root, 'resourceLogs', '').map((raw, r) => {
      const rlPath = `resourceLogs[${r}]`;
      const rl = this.object(raw, rlPath);
      const resourceRaw = this.field(rl, 'resource');
      const resource = resourceRaw === undefined ? undefined : this.object(resourceRaw, `${rlPath}.resource`);
      return {
        resourceAttributes:
          resource === undefined ? [] : this.keyValues(this.array(resource, 'attributes', `${rlPath}.resource`), `${rlPath}.resource.attributes`),
        scopeLogs: this.array(rl, 'scopeLogs', rlPath).map((rawScope, s) => {
          const slPath = `${rlPath}.scopeLogs[${s}]`;
          const sl = this.object(rawScope, slPath);
          return { logRecords: this.array(sl, 'logRecords', slPath).map((rawRecord, k) => this.logRecord(rawRecord, `${slPath}.logRecords[${k}]`)) };
        }),
      };
    });
    return { resourceLogs };
  }
}

/**
 * Decodes an OTLP/JSON ExportLogsServiceRequest; throws OtlpDecodeError with the field's path, or
 * when it holds more than `maxRecords` log records (counted before any record is read).
 */
export function decodeJsonLogsRequest(text: string, maxRecords: number): OtlpLogsRequest {
  const json = parseOtlpJson(text);
  if (holdsMoreItemsThan(json.value, maxRecords, LOGS_KEYS)) throw tooManyLogRecords(maxRecords);
  return new JsonLogsReader(json).logsRequest();
}
