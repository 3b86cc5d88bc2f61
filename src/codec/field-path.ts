// A JSON field named the way a client writes it, for error messages: the schema validator
// (http/validation.ts) and the UTF-8 check (utf8-body.ts) both report fields in this form.

/** JSON-pointer instance path → `spans[3].tags["a b"]`. */
export function fieldPath(instancePath: string): string {
  if (instancePath === '') return '';
  let out = '';
  for (const raw of instancePath.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(segment)) out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
