"""Makes the fp16 model from the forged fp32 one with onnxruntime's float16 converter
(pure Python, so the CPU onnxruntime wheel on the GPU machine is enough). Inputs and
logits keep their types; constants beyond fp16's range are clamped (the additive
attention mask's float32.min becomes -1e4, which masks just as well).

    python3 bench/gpu/to_fp16.py SRC_MODEL_DIR DST_MODEL_DIR
"""
import os
import shutil
import sys

import onnx
from onnxruntime.transformers.float16 import convert_float_to_float16


def main(src, dst):
    os.makedirs(os.path.join(dst, "onnx"), exist_ok=True)
    model = onnx.load(os.path.join(src, "onnx", "model.onnx"), load_external_data=True)
    half = convert_float_to_float16(model, keep_io_types=True, disable_shape_infer=True)
    onnx.save_model(half, os.path.join(dst, "onnx", "model.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="model.onnx_data", size_threshold=1024)
    for name in os.listdir(src):
        if name.endswith(".json"):
            shutil.copy(os.path.join(src, name), os.path.join(dst, name))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
