// model.safetensors as the format's reference writer lays it out
// (huggingface/safetensors serialize_to_file), checked by a parse written
// here from the format's description: 8-byte little-endian header length,
// compact JSON header with __metadata__ {"format": "pt"} first, padded with
// spaces to a multiple of 8, tensors sorted by name with contiguous
// data_offsets covering the data exactly. The engine's own reader
// (lib/convert) reads it back bit for bit.
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SafetensorsSource } from '../../lib/convert/safetensors.js';
import { writeSafetensors } from '../../lib/adapt/output/safetensors.js';
import { seededRandom } from '../../lib/util/seeded-random.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cappy-adapt-st-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function parse(bytes: Buffer) {
  const n = bytes.readBigUInt64LE(0);
  expect(n).toBeLessThan(100_000_000n);
  const headerText = bytes.subarray(8, 8 + Number(n)).toString('utf8');
  const header = JSON.parse(headerText) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>
  >;
  return { n: Number(n), headerText, header, data: bytes.subarray(8 + Number(n)) };
}

describe('safetensors writer', () => {
  const rand = seededRandom(11);
  const tensors = [
    {
      name: 'roberta.encoder.layer.0.attention.self.query.weight',
      shape: [3, 5],
      data: Float32Array.from({ length: 15 }, () => rand() - 0.5),
    },
    { name: 'classifier.out_proj.bias', shape: [1], data: Float32Array.of(0.25) },
    { name: 'classifier.dense.weight', shape: [2, 2], data: Float32Array.of(1, -2, 3.5, -0) },
    { name: 'a.scalar', shape: [], data: Float32Array.of(7) },
  ];

  it('writes the reference layout', async () => {
    const path = join(dir, 'model.safetensors');
    await writeSafetensors(path, tensors, { format: 'pt' });
    const bytes = await readFile(path);
    const { n, headerText, header, data } = parse(bytes);
    expect(n % 8).toBe(0);
    expect(headerText.startsWith('{"__metadata__":{"format":"pt"},')).toBe(true);
    expect(headerText.trimEnd().endsWith('}')).toBe(true);
    expect(headerText.slice(headerText.trimEnd().length)).toMatch(/^ {0,7}$/);
    expect(headerText.trimEnd()).not.toMatch(/\s/); // compact JSON, as serde_json::to_string
    expect(header.__metadata__).toEqual({ format: 'pt' });
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    expect(names).toEqual([...tensors.map((t) => t.name)].sort());
    let offset = 0;
    for (const name of names) {
      const e = header[name] as { dtype: string; shape: number[]; data_offsets: [number, number] };
      const t = tensors.find((x) => x.name === name)!;
      expect(e.dtype).toBe('F32');
      expect(e.shape).toEqual(t.shape);
      expect(e.data_offsets).toEqual([offset, offset + t.data.length * 4]);
      const got = new Float32Array(new Uint8Array(data.subarray(offset, offset + t.data.length * 4)).buffer);
      expect(Buffer.from(got.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
      offset += t.data.length * 4;
    }
    expect(offset).toBe(data.length); // no gap and nothing after the last tensor
    expect((8 + n) % 8).toBe(0); // the first tensor starts 8-byte aligned
  });

  it("reads back through the converter's reader, bit for bit", async () => {
    const path = join(dir, 'again.safetensors');
    await writeSafetensors(path, tensors);
    const src = await SafetensorsSource.open(path);
    try {
      expect(src.metadata).toEqual({ format: 'pt' });
      for (const t of tensors) {
        expect(src.info(t.name)).toEqual({ name: t.name, shape: t.shape, dtype: 'F32' });
        const got = await src.read(t.name);
        expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(t.data.buffer))).toBe(true);
      }
    } finally {
      await src.close();
    }
  });

  it('refuses a shape that does not match the data, and reserved or repeated names', async () => {
    await expect(writeSafetensors(join(dir, 'bad.safetensors'), [{ name: 'x', shape: [2], data: Float32Array.of(1) }])).rejects.toThrow(
      /holds 2 values/,
    );
    await expect(
      writeSafetensors(join(dir, 'bad.safetensors'), [{ name: '__metadata__', shape: [1], data: Float32Array.of(1) }]),
    ).rejects.toThrow(/reserved/);
  });
});
