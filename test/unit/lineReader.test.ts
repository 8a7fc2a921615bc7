import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { scanMarkedLines } from '../../src/core/ingest/lineReader';
import { tempDir } from './helpers';

const MARK = Buffer.from('"usage":{');

async function collect(file: string, start = 0) {
  const lines: { line: string; offset: number }[] = [];
  const result = await scanMarkedLines(file, start, MARK, (line, offset) => lines.push({ line, offset }));
  return { lines, result };
}

describe('lineReader: byte-level scan for usage lines', () => {
  const dir = tempDir();

  it('yields only marked lines, with their offsets, and stops before an unterminated last line', async () => {
    const file = path.join(dir, 'a.jsonl');
    const a = '{"x":1}';
    const b = '{"usage":{"n":1}}';
    writeFileSync(file, `${a}\n${b}\n{"usage":{"partial`);
    const { lines, result } = await collect(file);
    assert.deepEqual(lines, [{ line: b, offset: a.length + 1 }]);
    assert.equal(result.endOffset, a.length + 1 + b.length + 1);
    assert.equal(result.lines, 2);
  });

  it('counts a complete last line without a newline (as ccusage does), once, and goes on right after it when the file grows', async () => {
    const file = path.join(dir, 'tail.jsonl');
    const a = '{"usage":{"n":1}}';
    writeFileSync(file, a);
    const first = await collect(file);
    assert.deepEqual(first.lines, [{ line: a, offset: 0 }]);
    assert.equal(first.result.endOffset, a.length);
    // The writer ends the line and adds another: the next read starts after the counted one.
    const b = '{"usage":{"n":2}}';
    writeFileSync(file, `${a}\n${b}\n`);
    const second = await collect(file, first.result.endOffset);
    assert.deepEqual(second.lines, [{ line: b, offset: a.length + 1 }]);
    assert.equal(second.result.endOffset, a.length + 1 + b.length + 1);
    // A half-written object at the end is left alone until it is finished.
    writeFileSync(file, `${a}\n${b}\n{"usage":{"n":3`);
    const third = await collect(file, second.result.endOffset);
    assert.deepEqual([third.lines.length, third.result.endOffset], [0, second.result.endOffset]);
  });

  it('continues from an offset', async () => {
    const file = path.join(dir, 'b.jsonl');
    writeFileSync(file, '{"usage":{"n":1}}\n{"usage":{"n":2}}\n');
    const { lines } = await collect(file, 18);
    assert.deepEqual(
      lines.map((l) => l.line),
      ['{"usage":{"n":2}}'],
    );
  });

  it('reads a line larger than the read buffer whose marker comes at its end', async () => {
    const file = path.join(dir, 'c.jsonl');
    const big = `{"content":"${'x'.repeat(3 * 1024 * 1024)}","usage":{"n":3}}`;
    writeFileSync(file, `{"a":1}\n${big}\n{"b":2}\n`);
    const { lines } = await collect(file);
    assert.equal(lines.length, 1);
    assert.equal(lines[0].line.length, big.length);
    assert.equal(lines[0].offset, 8);
  });

  it('finds a marker that straddles the 1 MiB chunk boundary', async () => {
    const file = path.join(dir, 'd.jsonl');
    const chunk = 1 << 20;
    // The marker starts 4 bytes before the boundary: `{"q":"` + K bytes + `",` puts it at 8 + K.
    const line = `{"q":"${'z'.repeat(chunk - 12)}","usage":{"n":4}}`;
    writeFileSync(file, `${line}\n`);
    assert.equal(Buffer.from(line).indexOf(MARK), chunk - 4);
    const { lines } = await collect(file);
    assert.equal(lines.length, 1);
  });
});
