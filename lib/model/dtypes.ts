// The number formats a model folder's ONNX files come in, and the names the
// writers (cappy forge, cappy convert) give them: the ones transformers.js
// reads, so one folder serves both. Which file to load for a dtype, and the
// order dtype 'auto' tries them in, is the core's (native/core/model).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

export type ModelDType = 'fp32' | 'fp16' | 'int8';
export const MODEL_DTYPES: readonly ModelDType[] = ['fp32', 'fp16', 'int8'];

export function isModelDType(v: unknown): v is ModelDType {
  return typeof v === 'string' && (MODEL_DTYPES as readonly string[]).includes(v);
}

/** The file cappy forge / cappy convert write for each dtype, inside onnx/. */
export const ONNX_FILE_NAMES: Record<ModelDType, string> = {
  fp32: 'model.onnx',
  fp16: 'model_fp16.onnx',
  int8: 'model_int8.onnx',
};

/**
 * Deletes the dtype files (and their external data) that a forge or convert
 * into `dir` did not write: left from an earlier run, they would hold other
 * weights, and dtype 'auto' could pick them.
 */
export async function removeOtherDTypes(dir: string, written: readonly ModelDType[]): Promise<void> {
  for (const d of MODEL_DTYPES) {
    if (written.includes(d)) continue;
    const file = join(dir, 'onnx', ONNX_FILE_NAMES[d]);
    await rm(file, { force: true });
    await rm(`${file}_data`, { force: true });
  }
}
