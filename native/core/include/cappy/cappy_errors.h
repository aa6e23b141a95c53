/* cappy-engine: the error codes and reasons, declared once (plain C; cappy_c.h
 * includes it, and it is installed beside it).
 *
 * Every other spelling is generated from these two lists: the C ABI's
 * cappy_status values and cappy_status_name(), the C++ core's
 * cappy::ErrorCode and cappy::ErrorReason (cappy/error.h), and the `cappyCode`
 * and `cappyReason` strings the Node addon puts on its errors, which
 * lib/errors maps to its error classes (test/model/errors.test.ts checks
 * TypeScript's lists against the addon's).
 *
 * CAPPY_ERROR_CODES: X(CxxName, NAME, value, meaning). The status a C caller
 * gets is CAPPY_ERR_<NAME> = value; Node's `cappyCode` is "<NAME>". Append
 * only: a value never changes meaning (ABI).
 *
 * CAPPY_ERROR_REASONS: X(CxxName, "slug", meaning). A finer, machine-readable
 * reason some errors carry beside their code (cappy_last_error_reason(), and
 * `reason` on the Node errors), so no caller has to match message text. The
 * slugs are stable; new ones may be added. */
#ifndef CAPPY_CAPPY_ERRORS_H_
#define CAPPY_CAPPY_ERRORS_H_

#define CAPPY_ERROR_CODES(X)                                                                                     \
  X(InvalidInput, INVALID_INPUT, 1, "a NULL handle, a bad parameter or option, invalid UTF-8")                   \
  X(Tokenizer, TOKENIZER, 2, "tokenizer.json refused, or truncation cannot fit an input")                        \
  X(ModelLoad, MODEL_LOAD, 3, "folder, ONNX file or ONNX Runtime missing, corrupt or incompatible")              \
  X(Runtime, RUNTIME, 4, "ONNX Runtime failed while running a batch")                                            \
  X(Cancelled, CANCELLED, 5, "the call was cancelled before its work finished")                                  \
  X(DeviceUnavailable, DEVICE_UNAVAILABLE, 6, "the execution provider, its libraries or its device are missing") \
  X(BufferTooSmall, BUFFER_TOO_SMALL, 7, "an output buffer's capacity is below what the result needs")           \
  X(Internal, INTERNAL, 8, "a bug or out of memory; the message says what")

#define CAPPY_ERROR_REASONS(X)                                                                              \
  X(None, "", "no finer reason than the code")                                                              \
  X(FolderNotFound, "folder_not_found", "the model folder does not exist, or is not a folder")              \
  X(OnnxMissing, "onnx_missing", "the folder has no ONNX graph for the dtype or file asked for")            \
  X(TokenizerMissing, "tokenizer_missing", "the folder has no tokenizer.json")                              \
  X(ConfigInvalid, "config_invalid", "config.json cannot be read, or is not a JSON object")                 \
  X(OrtUnavailable, "ort_unavailable", "no usable ONNX Runtime library: missing, not ORT, or too old")      \
  X(OrtConflict, "ort_conflict", "this process already runs cappy on another ONNX Runtime")                 \
  X(ModelInvalid, "model_invalid", "ONNX Runtime cannot load the ONNX file (empty, corrupt, unreadable)")   \
  X(ModelUnsupported, "model_unsupported", "the graph loads, but is not a cross-encoder this engine feeds") \
  X(OverPositionLimit, "over_position_limit", "max_length is more than the model's position table takes")   \
  X(StructSize, "struct_size", "a parameter struct's struct_size is not set, or too small")

#endif /* CAPPY_CAPPY_ERRORS_H_ */
