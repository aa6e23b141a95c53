// Broken models for error tests, made without any ONNX library: protobuf
// strings are length-prefixed, so swapping a name for one of equal length
// keeps the file valid while changing what the graph expects.
import { readFile, writeFile } from 'node:fs/promises';

export async function writeGraphWithRenamedInputs(path: string): Promise<void> {
  const bytes = await readFile(path);
  const from = Buffer.from('input_ids');
  const to = Buffer.from('token_ids');
  let count = 0;
  for (let i = bytes.indexOf(from); i >= 0; i = bytes.indexOf(from, i + from.length)) {
    to.copy(bytes, i);
    count++;
  }
  if (count === 0) throw new Error(`no input_ids in ${path}`);
  await writeFile(path, bytes);
}
