// One error table (lib/errors/table.ts) for the engine's codes and the
// server's: every row's kind is one of TEI's published ErrorType values, each
// engine error class carries a code of the table, and docs/server.md's
// "Errors" table says exactly what the table says, code by code.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as errors from '../../lib/errors/index.js';
import { ERROR_TABLE } from '../../lib/errors/index.js';
import { ERROR_TABLE as SERVER_TABLE, mapError } from '../../lib/server/index.js';

const ROOT = join(import.meta.dirname, '../..');
const teiKinds = (JSON.parse(readFileSync(join(ROOT, 'test/support/tei-schemas/error-type.json'), 'utf8')) as { enum: string[] }).enum;

interface DocRow {
  code: string;
  status: number;
  kind: string;
}

/**
 * The rows of docs/server.md's error table. A cell may list several codes
 * (`A`, `B`), and a row may pair groups with statuses ("`A`, `B` / `C`" with
 * "502 / 504").
 */
function documentedRows(markdown: string): DocRow[] {
  const section = markdown.slice(markdown.indexOf('\n## Errors'), markdown.indexOf('\n## ', markdown.indexOf('\n## Errors') + 1));
  const rows: DocRow[] = [];
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 5 || !cells[1].startsWith('`')) continue;
    const groups = cells[1].split(' / ');
    const statuses = cells[2].split(' / ').map(Number);
    const kind = cells[3].replace(/`/g, '');
    expect(statuses.length, line).toBe(groups.length);
    groups.forEach((group, i) => {
      for (const m of group.matchAll(/`([A-Z_]+)`/g)) rows.push({ code: m[1], status: statuses[i], kind });
    });
  }
  return rows;
}

describe('the error table', () => {
  it("is one object: the server's ERROR_TABLE is lib/errors' own", () => {
    expect(SERVER_TABLE).toBe(ERROR_TABLE);
  });

  it("gives every code an HTTP error status and one of TEI's ErrorType kinds", () => {
    expect(teiKinds).toHaveLength(6);
    for (const [code, row] of Object.entries(ERROR_TABLE)) {
      expect(row.httpStatus, code).toBeGreaterThanOrEqual(400);
      expect(row.httpStatus, code).toBeLessThan(600);
      expect(teiKinds, code).toContain(row.teiKind);
      expect(mapError({ code, message: 'm' })).toEqual({
        status: row.httpStatus,
        body: { error: 'm', error_type: row.teiKind, code },
        label: code,
      });
    }
  });

  it('holds the code of every engine error class, marked as raised by the engine', () => {
    const made: errors.CappyError[] = [
      new errors.ModelLoadError('m'),
      new errors.TokenizerError('m'),
      new errors.InvalidInputError('m'),
      new errors.QueueFullError('m'),
      new errors.AbortError(),
      new errors.DisposedError(),
      new errors.RuntimeError('m'),
      new errors.InternalError('m'),
      new errors.DeviceUnavailableError('cuda', 'm'),
      new errors.ShardError('m'),
      new errors.MissingPartError([], 'm'),
      new errors.RemoteError('m'),
    ];
    // Every CappyError subclass the module exports is in the list above.
    const exported = Object.values(errors).filter((v) => typeof v === 'function' && v.prototype instanceof errors.CappyError);
    expect(new Set(made.map((e) => e.constructor))).toEqual(new Set(exported));
    for (const e of made) expect(ERROR_TABLE[e.code].raisedBy, e.constructor.name).not.toBe('server');
  });

  it('is what docs/server.md lists, code by code (status and error_type)', () => {
    const documented = documentedRows(readFileSync(join(ROOT, 'docs/server.md'), 'utf8'));
    const codes = documented.map((r) => r.code);
    expect(new Set(codes).size, 'a code listed twice').toBe(codes.length);
    expect(new Set(codes)).toEqual(new Set(Object.keys(ERROR_TABLE)));
    for (const r of documented) {
      const row = ERROR_TABLE[r.code as keyof typeof ERROR_TABLE];
      expect({ code: r.code, status: r.status, kind: r.kind }).toEqual({ code: r.code, status: row.httpStatus, kind: row.teiKind });
    }
  });
});
