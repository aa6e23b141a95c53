/* cappy-engine C ABI: the stable edge of the native core.
 *
 * Everything a host needs to score (instruction, response) pairs with a
 * cross-encoder model folder, from C or any language with a C FFI:
 *
 *   cappy_load_params p = cappy_load_default_params();
 *   cappy_model* model = NULL;
 *   if (cappy_model_load("/models/cappy", &p, &model) != CAPPY_OK)
 *     fprintf(stderr, "%s\n", cappy_last_error());
 *   cappy_pair pair = {"instruction", 11, "response", 8};
 *   float score;
 *   cappy_score(model, &pair, 1, &score, 1, NULL);
 *   cappy_model_free(model);
 *
 * Rules (the same for every function):
 * - Every fallible function returns a cappy_status. CAPPY_OK is 0. On any
 *   other status, cappy_last_error() gives a message for this thread (valid
 *   until this thread's next cappy_* call); no C++ exception ever crosses
 *   this boundary.
 * - Handles are opaque. Whatever cappy_*_new/_load hands out is released by
 *   the matching cappy_*_free, which accepts NULL.
 * - Output buffers belong to the caller, with their capacity passed in. A
 *   buffer that is too small gives CAPPY_ERR_BUFFER_TOO_SMALL and, where the
 *   function has a size out-parameter, the size needed.
 * - Parameter and info structs start with struct_size (set by the
 *   *_default_params() functions; set it yourself for info structs): a newer
 *   library reads, or writes, only the fields an older caller's struct holds
 *   whole, so always start from the defaults and change fields after. A
 *   struct_size below 4 (the struct_size field itself) is refused with
 *   CAPPY_ERR_INVALID_INPUT; one that ends inside a field leaves that field
 *   (and all after it) alone.
 * - Strings are UTF-8 with an explicit byte length; invalid UTF-8 is refused
 *   with CAPPY_ERR_INVALID_INPUT naming the input.
 * - A cappy_model is thread-safe: many threads may score or tokenize with one
 *   model at once. Free it only when no call on it is running.
 *
 * The ABI version (CAPPY_ABI_VERSION) changes only when an existing function
 * or struct field changes meaning; adding functions or trailing struct fields
 * keeps it. cappy_abi_version() says which the loaded library speaks.
 */
#ifndef CAPPY_CAPPY_C_H_
#define CAPPY_CAPPY_C_H_

#include <stddef.h>
#include <stdint.h>

#include "cappy/cappy_errors.h"

#if defined(_WIN32)
#if defined(CAPPY_BUILDING_SHARED)
#define CAPPY_API __declspec(dllexport)
#elif defined(CAPPY_USING_SHARED)
#define CAPPY_API __declspec(dllimport)
#else
#define CAPPY_API
#endif
#else
#define CAPPY_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define CAPPY_ABI_VERSION 1

/* ---------------------------------------------------------------- status */
/* The codes are declared once, in cappy/cappy_errors.h (the Node package's
 * error codes come from the same list):
 *   CAPPY_ERR_INVALID_INPUT = 1      a NULL handle, a bad parameter, invalid UTF-8
 *   CAPPY_ERR_TOKENIZER = 2          tokenizer.json refused, or truncation cannot fit an input
 *   CAPPY_ERR_MODEL_LOAD = 3         folder, ONNX file or ONNX Runtime missing, corrupt or incompatible
 *   CAPPY_ERR_RUNTIME = 4            ONNX Runtime failed while running a batch
 *   CAPPY_ERR_CANCELLED = 5          the cancel token was raised before the work finished
 *   CAPPY_ERR_DEVICE_UNAVAILABLE = 6 the execution provider, its libraries or its device are missing
 *   CAPPY_ERR_BUFFER_TOO_SMALL = 7   an output buffer's capacity is below what the result needs
 *   CAPPY_ERR_INTERNAL = 8           a bug or out of memory; the message says what */
typedef enum cappy_status {
  CAPPY_OK = 0,
#define CAPPY_STATUS_ENUM_(Cxx, NAME, value, meaning) CAPPY_ERR_##NAME = value,
  CAPPY_ERROR_CODES(CAPPY_STATUS_ENUM_)
#undef CAPPY_STATUS_ENUM_
} cappy_status; /* C99 allows the enumerator list's trailing comma */

/* "CAPPY_OK", "CAPPY_ERR_INVALID_INPUT", ...; "CAPPY_ERR_UNKNOWN" otherwise. Static storage. */
CAPPY_API const char* cappy_status_name(cappy_status status);

/* The message of this thread's last failed call ("" when none). Owned by the
 * library, valid until this thread's next cappy_* call. */
CAPPY_API const char* cappy_last_error(void);

/* A finer, machine-readable reason for this thread's last failed call, one of
 * the slugs in cappy/cappy_errors.h ("onnx_missing", "ort_unavailable", ...),
 * or "" when it has none. Branch on this, never on the message. Static storage. */
CAPPY_API const char* cappy_last_error_reason(void);

/* ---------------------------------------------------------------- version */
/* The ABI the loaded library speaks (compare with CAPPY_ABI_VERSION). */
CAPPY_API uint32_t cappy_abi_version(void);
/* The library's release, e.g. "0.1.0". Static storage. */
CAPPY_API const char* cappy_version(void);

/* ---------------------------------------------------------------- handles */
typedef struct cappy_model cappy_model;   /* a loaded model folder: tokenizer + ONNX session */
typedef struct cappy_cancel cappy_cancel; /* a flag another thread raises to stop a score call */

/* ---------------------------------------------------------------- load */
typedef struct cappy_load_params {
  uint32_t struct_size; /* sizeof(cappy_load_params); set by cappy_load_default_params */

  /* Which graph of the folder: "fp32" (onnx/model.onnx), "int8", "fp16", or
   * "auto" (the best the folder has: int8, fp32, fp16 on the CPU). NULL: "fp32". */
  const char* dtype;
  /* An ONNX file inside the folder (or absolute); wins over dtype. NULL: none. */
  const char* onnx_file;

  /* The defaults below are the core's (cappy/load.h), the same the Node
   * package's Scorer.load uses, so both resolve a folder alike.
   * Longest encoding per pair, special tokens included. 0: 512, lowered to
   * what the model's position table takes (config.json); a larger explicit
   * value than the table takes is CAPPY_ERR_INVALID_INPUT. */
  uint32_t max_length;
  /* How a pair over max_length is cut: "longest_first", "only_first",
   * "only_second". NULL: "longest_first". */
  const char* truncation;

  /* ONNX Runtime's threads. Default: the cores this process may use (its
   * affinity mask, capped by a cgroup CPU quota such as a container's CPU
   * limit); 0 means the same. */
  int32_t intra_op_threads;
  uint32_t tokenizer_threads; /* default (and 0): half of those cores, at least 1 */
  uint32_t max_batch_tokens;  /* padded tokens per batch (rows x padded length); default 16384 */
  uint32_t max_batch_size;    /* rows per batch; default 64 */
  uint32_t pad_multiple;      /* padded lengths round up to this; default 8 */
  uint32_t sort_window;       /* 0: sort each window by length (padding-aware); 1: input order */

  /* "cpu" (default when NULL), "cuda" or "tensorrt". */
  const char* execution_provider;
  int32_t device_id;
  /* "cuda": the plugin EP library (libonnxruntime_providers_cuda.so). */
  const char* ep_library_path;

  /* Which ONNX Runtime, first match wins:
   * 1. ort_api_base: a host that already runs ORT hands in its own
   *    `const OrtApiBase*` (OrtGetApiBase()), optionally with its `OrtEnv*`
   *    in ort_env, and cappy makes its sessions with them. ORT >= 1.29 API.
   * 2. ort_library_path: a libonnxruntime.so to load (dlopen, RTLD_LOCAL).
   * 3. NULL for both: the environment variable CAPPY_ORT_LIB when set, else
   *    the library this build was configured with
   *    (cappy_default_ort_library()) when that file still exists, else the
   *    soname "libonnxruntime.so.1" (the dynamic loader's search, which
   *    includes libcappy.so's own folder).
   * One process uses one ORT through cappy: a later load asking for another
   * fails with CAPPY_ERR_MODEL_LOAD. */
  const void* ort_api_base;
  void* ort_env;
  const char* ort_library_path;
} cappy_load_params;

CAPPY_API cappy_load_params cappy_load_default_params(void);

/* The library configured at build time (CAPPY_DEFAULT_ORT_LIBRARY; install-core.sh
 * installs an ORT beside libcappy and names it), or "libonnxruntime.so.1".
 * Loaded when neither the params nor CAPPY_ORT_LIB name one, while the file
 * exists (see ort_library_path above). Static storage. */
CAPPY_API const char* cappy_default_ort_library(void);

/* Loads a model folder (config.json, tokenizer.json, onnx/...). `params` NULL:
 * the defaults. On success *out_model is a new handle; on failure NULL. */
CAPPY_API cappy_status cappy_model_load(const char* model_dir, const cappy_load_params* params,
                                        cappy_model** out_model);

/* Releases a model (NULL is fine). No call on it may be running. */
CAPPY_API void cappy_model_free(cappy_model* model);

/* ---------------------------------------------------------------- info */
typedef struct cappy_model_info {
  uint32_t struct_size; /* the caller sets sizeof(cappy_model_info) */
  /* Strings below are owned by the model, valid until cappy_model_free. */
  const char* model_dir;
  const char* onnx_path;
  const char* dtype;        /* "fp32", "fp16", "int8", or "" when the file name does not say */
  const char* dtype_choice; /* why this file */
  const char* model_type;   /* config.json's model_type, "" when none */
  const char* ort_version;
  const char* ort_loaded_path; /* the ORT file whose code runs ("" when the host handed in its API) */
  const char* execution_provider;
  uint32_t max_length; /* in force for every pair */
  uint32_t vocab_size;
  int32_t pad_id;
  int32_t takes_type_ids; /* 1 when the graph takes token_type_ids */
  int32_t forged;         /* 1: random weights made by `cappy forge`, not a trained model */
  const char* forged_note;

  /* Appended in 0.1 (ABI 1): whether config.json was read, and the settings
   * the load resolved (the same as the Node package's scorer.info.load). */
  int32_t has_config;      /* 0: the folder has no config.json, so max_length was not
                              checked against a position table and model_type is "" */
  uint32_t position_limit; /* tokens the position table takes (config.json); 0: unknown */
  const char* truncation;  /* "longest_first", "only_first" or "only_second" */
  uint32_t intra_op_threads;
  uint32_t tokenizer_threads;
  uint32_t max_batch_tokens;
  uint32_t max_batch_size;
  uint32_t pad_multiple;
  uint32_t sort_window;
  int32_t device_id;
  int32_t io_binding;         /* 1: inputs and outputs go through an OrtIoBinding */
  int32_t pinned_buffers;     /* 1: inputs are staged in the provider's pinned host memory */
  uint32_t batches_in_flight; /* batches one score call runs at once */
  uint32_t trt_min_shape[2];  /* TensorRT's optimization profile as [rows, tokens] */
  uint32_t trt_opt_shape[2];  /* (resolved for every provider; only TensorRT uses it) */
  uint32_t trt_max_shape[2];
} cappy_model_info;

/* Fills *out. out->struct_size must be set (to sizeof(cappy_model_info)); only
 * the fields it covers whole are written. */
CAPPY_API cappy_status cappy_model_get_info(const cappy_model* model, cappy_model_info* out);

/* ---------------------------------------------------------------- score */
typedef struct cappy_pair {
  const char* first;  /* the instruction (query); UTF-8, need not end in NUL */
  size_t first_len;   /* bytes */
  const char* second; /* the response (document) */
  size_t second_len;
} cappy_pair;

/* A cancel token: raise it from any thread and a score call using it stops
 * with CAPPY_ERR_CANCELLED: batches not started never run, and the batch in
 * flight is cut short at ONNX Runtime's next graph node. */
CAPPY_API cappy_status cappy_cancel_new(cappy_cancel** out_cancel);
CAPPY_API void cappy_cancel_request(cappy_cancel* cancel); /* thread-safe; NULL is ignored */
CAPPY_API void cappy_cancel_reset(cappy_cancel* cancel);   /* lower it again for reuse */
CAPPY_API void cappy_cancel_free(cappy_cancel* cancel);    /* no call may still use it */

/* Scores n pairs; scores[i] is pair i's (input order). `scores_capacity`
 * below n: CAPPY_ERR_BUFFER_TOO_SMALL before any work. `cancel` may be NULL.
 * Blocking; runs on the calling thread plus the model's thread pools. */
CAPPY_API cappy_status cappy_score(cappy_model* model, const cappy_pair* pairs, size_t n, float* scores,
                                   size_t scores_capacity, const cappy_cancel* cancel);

/* ---------------------------------------------------------------- tokenize */
/* Token ids of one text (second NULL) or a pair, special tokens and
 * truncation as scoring uses them. Sets *n_ids to the number of ids; when
 * ids_capacity is below it, writes nothing and returns
 * CAPPY_ERR_BUFFER_TOO_SMALL (call again with a buffer that big). */
CAPPY_API cappy_status cappy_tokenize(const cappy_model* model, const char* first, size_t first_len, const char* second,
                                      size_t second_len, int32_t* ids, size_t ids_capacity, size_t* n_ids);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CAPPY_CAPPY_C_H_ */
