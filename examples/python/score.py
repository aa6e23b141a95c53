#!/usr/bin/env python3
"""score.py MODEL_DIR: reads "instruction<TAB>response" lines on stdin and
prints one score per line (%.9g, enough to give back the exact float32),
through the installed libcappy.so with ctypes and nothing else.

The library: CAPPY_LIBRARY (a path), else PREFIX/lib/libcappy.so for
CAPPY_PREFIX, else the dynamic loader's search (ctypes.util.find_library).
CAPPY_ORT_LIB, when set, names the libonnxruntime.so to load.
CAPPY_HOST_ORT, when set, is a libonnxruntime.so this script loads itself, as
a host that already runs ONNX Runtime would; its OrtGetApiBase() is handed to
cappy (ort_api_base), so no second ORT is loaded.
CAPPY_PRINT_INFO=1 prints the model's info as JSON on stderr.
"""
import ctypes
import ctypes.util
import json
import os
import sys

ABI_VERSION = 1  # CAPPY_ABI_VERSION in cappy/cappy_c.h


class LoadParams(ctypes.Structure):
    # Field for field as cappy_load_params in cappy/cappy_c.h.
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("dtype", ctypes.c_char_p),
        ("onnx_file", ctypes.c_char_p),
        ("max_length", ctypes.c_uint32),
        ("truncation", ctypes.c_char_p),
        ("intra_op_threads", ctypes.c_int32),
        ("tokenizer_threads", ctypes.c_uint32),
        ("max_batch_tokens", ctypes.c_uint32),
        ("max_batch_size", ctypes.c_uint32),
        ("pad_multiple", ctypes.c_uint32),
        ("sort_window", ctypes.c_uint32),
        ("execution_provider", ctypes.c_char_p),
        ("device_id", ctypes.c_int32),
        ("ep_library_path", ctypes.c_char_p),
        ("ort_api_base", ctypes.c_void_p),
        ("ort_env", ctypes.c_void_p),
        ("ort_library_path", ctypes.c_char_p),
    ]


class ModelInfo(ctypes.Structure):
    # Field for field as cappy_model_info in cappy/cappy_c.h.
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("model_dir", ctypes.c_char_p),
        ("onnx_path", ctypes.c_char_p),
        ("dtype", ctypes.c_char_p),
        ("dtype_choice", ctypes.c_char_p),
        ("model_type", ctypes.c_char_p),
        ("ort_version", ctypes.c_char_p),
        ("ort_loaded_path", ctypes.c_char_p),
        ("execution_provider", ctypes.c_char_p),
        ("max_length", ctypes.c_uint32),
        ("vocab_size", ctypes.c_uint32),
        ("pad_id", ctypes.c_int32),
        ("takes_type_ids", ctypes.c_int32),
        ("forged", ctypes.c_int32),
        ("forged_note", ctypes.c_char_p),
        ("has_config", ctypes.c_int32),
        ("position_limit", ctypes.c_uint32),
        ("truncation", ctypes.c_char_p),
        ("intra_op_threads", ctypes.c_uint32),
        ("tokenizer_threads", ctypes.c_uint32),
        ("max_batch_tokens", ctypes.c_uint32),
        ("max_batch_size", ctypes.c_uint32),
        ("pad_multiple", ctypes.c_uint32),
        ("sort_window", ctypes.c_uint32),
        ("device_id", ctypes.c_int32),
        ("io_binding", ctypes.c_int32),
        ("pinned_buffers", ctypes.c_int32),
        ("batches_in_flight", ctypes.c_uint32),
        ("trt_min_shape", ctypes.c_uint32 * 2),
        ("trt_opt_shape", ctypes.c_uint32 * 2),
        ("trt_max_shape", ctypes.c_uint32 * 2),
    ]


class Pair(ctypes.Structure):
    _fields_ = [
        ("first", ctypes.c_char_p),
        ("first_len", ctypes.c_size_t),
        ("second", ctypes.c_char_p),
        ("second_len", ctypes.c_size_t),
    ]


def find_library():
    if os.environ.get("CAPPY_LIBRARY"):
        return os.environ["CAPPY_LIBRARY"]
    if os.environ.get("CAPPY_PREFIX"):
        return os.path.join(os.environ["CAPPY_PREFIX"], "lib", "libcappy.so")
    found = ctypes.util.find_library("cappy")
    if found is None:
        sys.exit("score.py: libcappy not found; set CAPPY_LIBRARY or CAPPY_PREFIX")
    return found


def load_library(path):
    lib = ctypes.CDLL(path)
    lib.cappy_abi_version.restype = ctypes.c_uint32
    lib.cappy_last_error.restype = ctypes.c_char_p
    lib.cappy_status_name.restype = ctypes.c_char_p
    lib.cappy_status_name.argtypes = [ctypes.c_int]
    lib.cappy_load_default_params.restype = LoadParams
    lib.cappy_model_load.argtypes = [ctypes.c_char_p, ctypes.POINTER(LoadParams), ctypes.POINTER(ctypes.c_void_p)]
    lib.cappy_model_free.argtypes = [ctypes.c_void_p]
    lib.cappy_model_get_info.argtypes = [ctypes.c_void_p, ctypes.POINTER(ModelInfo)]
    lib.cappy_score.argtypes = [ctypes.c_void_p, ctypes.POINTER(Pair), ctypes.c_size_t,
                                ctypes.POINTER(ctypes.c_float), ctypes.c_size_t, ctypes.c_void_p]
    return lib


def check(lib, status, what):
    if status != 0:
        name = lib.cappy_status_name(status).decode()
        sys.exit(f"score.py: {what}: {name}: {lib.cappy_last_error().decode('utf-8', 'replace')}")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: score.py MODEL_DIR < pairs.tsv  (one instruction<TAB>response per line)")
    lib = load_library(find_library())
    if lib.cappy_abi_version() != ABI_VERSION:
        sys.exit(f"score.py: written for ABI {ABI_VERSION}, the library speaks {lib.cappy_abi_version()}")

    texts = []
    for number, line in enumerate(sys.stdin.buffer, start=1):
        line = line[:-1] if line.endswith(b"\n") else line
        if b"\t" not in line:
            sys.exit(f"score.py: line {number} has no tab between instruction and response")
        texts.append(tuple(line.split(b"\t", 1)))

    params = lib.cappy_load_default_params()
    ort = os.environ.get("CAPPY_ORT_LIB")
    if ort:
        params.ort_library_path = ort.encode()
    host_ort = os.environ.get("CAPPY_HOST_ORT")
    if host_ort:
        ort_lib = ctypes.CDLL(host_ort)  # kept alive for the process, as a host's ORT is
        ort_lib.OrtGetApiBase.restype = ctypes.c_void_p
        params.ort_api_base = ort_lib.OrtGetApiBase()
    model = ctypes.c_void_p()
    check(lib, lib.cappy_model_load(sys.argv[1].encode(), ctypes.byref(params), ctypes.byref(model)), "loading the model")
    try:
        if os.environ.get("CAPPY_PRINT_INFO") == "1":
            info = ModelInfo(struct_size=ctypes.sizeof(ModelInfo))
            check(lib, lib.cappy_model_get_info(model, ctypes.byref(info)), "reading the model's info")
            def plain(v):
                if isinstance(v, bytes):
                    return v.decode()
                return list(v) if isinstance(v, ctypes.Array) else v
            fields = {name: plain(getattr(info, name)) for name, _ in ModelInfo._fields_ if name != "struct_size"}
            print(json.dumps(fields), file=sys.stderr)
        n = len(texts)
        pairs = (Pair * max(n, 1))(*[Pair(a, len(a), b, len(b)) for a, b in texts])
        scores = (ctypes.c_float * max(n, 1))()
        check(lib, lib.cappy_score(model, pairs, n, scores, n, None), "scoring")
        sys.stdout.write("".join("%.9g\n" % scores[i] for i in range(n)))
    finally:
        lib.cappy_model_free(model)


if __name__ == "__main__":
    main()
