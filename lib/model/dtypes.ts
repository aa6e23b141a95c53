// Which ONNX file in a model folder holds which number format. The names are
// the ones transformers.js reads (onnx/model.onnx, model_fp16.onnx,
// model_int8.onnx, model_quantized.onnx), so one folder serves both.
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
 * Files a folder may hold for each dtype, best first, relative to the folder.
 * model_quantized.onnx is transformers.js's q8 (8-bit dynamic quantization by
 * optimum); it runs on ORT's CPU kernels the same way our int8 does.
 */
export const ONNX_CANDIDATES: Record<ModelDType, readonly string[]> = {
  fp32: [join('onnx', 'model.onnx'), 'model.onnx'],
  fp16: [join('onnx', 'model_fp16.onnx')],
  int8: [join('onnx', 'model_int8.onnx'), join('onnx', 'model_quantized.onnx')],
};

/**
 * dtype: 'auto' on the CPU, best first. int8 first: its MatMuls run on the
 * CPU's integer units (VNNI/AMX where present), measured faster than fp32
 * (docs/dtypes.md). fp16 last: ORT's x86 CPU kernels have no fp16 MatMul, so
 * an fp16 graph runs through inserted casts, slower than fp32.
 */
export const CPU_AUTO_ORDER: readonly ModelDType[] = ['int8', 'fp32', 'fp16'];

/**
 * dtype: 'auto' with device 'cuda' or 'tensorrt'. fp16 first (tensor cores),
 * int8 last: DynamicQuantizeMatMul has no CUDA kernel, so ORT would run it on
 * the CPU. With device 'auto' the provider is not known until the session
 * loads, so the CPU order applies; name the dtype to choose for a GPU.
 */
export const GPU_AUTO_ORDER: readonly ModelDType[] = ['fp16', 'fp32', 'int8'];

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
