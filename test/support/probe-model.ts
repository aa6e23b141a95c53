// A probe graph that echoes its inputs instead of scoring them: logits[b, 0] =
// sum over t of ids*mask + 100000*token_type_ids. A wrong id, a mask of 1 on
// padding, a non-zero token type or a row in the wrong place all change the
// value, so buffer filling and binding are checked exactly, in int32 or int64.
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GraphBuilder } from '../../lib/forge/onnx/graph-builder.js';
import { DataType } from '../../lib/forge/onnx/schema.js';

export async function writeProbeModel(outDir: string, fromModelDir: string, ids: 'int32' | 'int64'): Promise<void> {
  await mkdir(join(outDir, 'onnx'), { recursive: true });
  const type = ids === 'int32' ? DataType.INT32 : DataType.INT64;
  const g = new GraphBuilder('probe');
  const B = { param: 'batch' };
  const S = { param: 'sequence' };
  const inputIds = g.input('input_ids', type, [B, S]);
  const mask = g.input('attention_mask', type, [B, S]);
  const types = g.input('token_type_ids', type, [B, S]);
  const hundredK = g.node('Cast', [g.int64([100000], true)], { to: type });
  const summed = g.node('Add', [g.node('Mul', [inputIds, mask]), g.node('Mul', [types, hundredK])]);
  const total = g.node('ReduceSum', [summed, g.int64([1])], { keepdims: 1 });
  g.node('Cast', [total], { to: DataType.FLOAT }, { output: 'logits' });
  g.output('logits', DataType.FLOAT, [B, { value: 1 }]);
  await g.write(join(outDir, 'onnx', 'model.onnx'));
  for (const f of ['tokenizer.json', 'config.json']) await copyFile(join(fromModelDir, f), join(outDir, f));
}
