// A safetensors writer, byte for byte the layout of the reference writer
// (huggingface/safetensors, `serialize_to_file`):
// - 8 bytes: N, the header's length, an unsigned 64-bit little-endian integer;
// - N bytes: the header, compact JSON: `__metadata__` first (string values
//   only), then each tensor as {"dtype","shape","data_offsets":[begin,end]},
//   offsets relative to the end of the header, padded with spaces to a
//   multiple of 8 so every tensor starts 8-byte aligned in the file;
// - the tensors' bytes back to back, in header order: dtype alignment
//   descending, then name (all F32 here, so by name), covering the data with
//   no gap, which readers check.
// transformers' safetensors loader reads `__metadata__.format` and wants "pt"
// for PyTorch weights. Tensors are written one at a time, so a 1.4 GB model
// is never one buffer.
import { open, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';

export interface TensorToWrite {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

/** The header bytes (padded) for these tensors, in the order they will be written. */
export function safetensorsHeader(
  tensors: readonly TensorToWrite[],
  metadata: Record<string, string>,
): { header: Buffer; order: TensorToWrite[] } {
  const order = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const entries: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of order) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`tensor ${t.name}: shape [${t.shape}] holds ${count} values, data has ${t.data.length}`);
    if (t.name === '__metadata__' || Object.hasOwn(entries, t.name)) throw new Error(`tensor name ${t.name} is reserved or repeated`);
    const bytes = t.data.byteLength;
    entries[t.name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(entries), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  return { header: Buffer.concat([json, Buffer.alloc(pad, 0x20)]), order };
}

/** Writes `tensors` (float32) to `path`. */
export async function writeSafetensors(
  path: string,
  tensors: readonly TensorToWrite[],
  metadata: Record<string, string> = { format: 'pt' },
): Promise<void> {
  const { header, order } = safetensorsHeader(tensors, metadata);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(header.length));
  // The format is little-endian and the data goes out as the host holds it.
  if (endianness() !== 'LE') throw new Error('writing safetensors needs a little-endian host');
  const fh = await open(path, 'w');
  try {
    await writeAll(fh, prefix);
    await writeAll(fh, header);
    for (const t of order) await writeAll(fh, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** A positioned write may write less than asked; go on until all of it is out. */
export async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    const { bytesWritten } = await fh.write(bytes, done, Math.min(bytes.length - done, 1 << 30));
    done += bytesWritten;
  }
}
