// Every tensor of a model.safetensors, by name, through the converter's reader
// (lib/convert/safetensors.ts, itself checked against an independent parse
// in test/standalone/adapt-safetensors.test.ts).
import { SafetensorsSource } from '../../lib/convert/safetensors.js';

export async function readSafetensors(path: string): Promise<Map<string, Float32Array>> {
  const src = await SafetensorsSource.open(path);
  try {
    const out = new Map<string, Float32Array>();
    for (const t of src.list()) out.set(t.name, await src.read(t.name));
    return out;
  } finally {
    await src.close();
  }
}
