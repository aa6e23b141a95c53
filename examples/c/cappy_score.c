/* cappy-score MODEL_DIR: reads "instruction<TAB>response" lines on stdin and
 * prints one score per line, in input order, with enough digits (%.9g) to
 * give back the exact float32. Plain C over the C ABI (cappy/cappy_c.h).
 *
 * CAPPY_ORT_LIB, when set, names the libonnxruntime.so to load; otherwise the
 * library uses the one it was installed with (cappy_default_ort_library()).
 * CAPPY_PRINT_INFO=1 also prints what the load resolved, as one JSON line on
 * stderr (cappy_model_get_info). */
#include <cappy/cappy_c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char* text; /* the whole line; the tab becomes the instruction's end */
  cappy_pair pair;
} line_pair;

static int fail(const char* what, cappy_status status) {
  fprintf(stderr, "cappy-score: %s: %s: %s\n", what, cappy_status_name(status), cappy_last_error());
  return 1;
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void json_string(FILE* out, const char* s) {
  fputc('"', out);
  for (; *s; ++s) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(out, "\\%c", c);
    else if (c < 0x20)
      fprintf(out, "\\u%04x", c);
    else
      fputc(c, out);
  }
  fputc('"', out);
}

static int print_info(const cappy_model* model) {
  cappy_model_info info;
  memset(&info, 0, sizeof info);
  info.struct_size = sizeof info;
  cappy_status status = cappy_model_get_info(model, &info);
  if (status != CAPPY_OK) return fail("reading the model's info", status);
  fprintf(stderr, "{\"dtype\":");
  json_string(stderr, info.dtype);
  fprintf(stderr, ",\"execution_provider\":");
  json_string(stderr, info.execution_provider);
  fprintf(stderr, ",\"truncation\":");
  json_string(stderr, info.truncation);
  fprintf(stderr,
          ",\"max_length\":%u,\"has_config\":%d,\"position_limit\":%u,\"intra_op_threads\":%u,"
          "\"tokenizer_threads\":%u,\"max_batch_tokens\":%u,\"max_batch_size\":%u,\"pad_multiple\":%u,"
          "\"sort_window\":%u,\"device_id\":%d,\"io_binding\":%d,\"pinned_buffers\":%d,\"batches_in_flight\":%u,"
          "\"trt_min_shape\":[%u,%u],\"trt_opt_shape\":[%u,%u],\"trt_max_shape\":[%u,%u],\"forged\":%d}\n",
          info.max_length, info.has_config, info.position_limit, info.intra_op_threads, info.tokenizer_threads,
          info.max_batch_tokens, info.max_batch_size, info.pad_multiple, info.sort_window, info.device_id,
          info.io_binding, info.pinned_buffers, info.batches_in_flight, info.trt_min_shape[0], info.trt_min_shape[1],
          info.trt_opt_shape[0], info.trt_opt_shape[1], info.trt_max_shape[0], info.trt_max_shape[1], info.forged);
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s MODEL_DIR < pairs.tsv  (one instruction<TAB>response per line)\n", argv[0]);
    return 2;
  }
  if (cappy_abi_version() != CAPPY_ABI_VERSION) {
    fprintf(stderr, "cappy-score: built for ABI %d, the library speaks %u\n", CAPPY_ABI_VERSION, cappy_abi_version());
    return 1;
  }

  size_t n = 0, cap = 0;
  line_pair* lines = NULL;
  char* line = NULL;
  size_t line_cap = 0;
  ssize_t len;
  while ((len = getline(&line, &line_cap, stdin)) >= 0) {
    if (len > 0 && line[len - 1] == '\n') line[--len] = '\0';
    char* tab = memchr(line, '\t', (size_t)len);
    if (tab == NULL) {
      fprintf(stderr, "cappy-score: line %zu has no tab between instruction and response\n", n + 1);
      return 2;
    }
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      lines = realloc(lines, cap * sizeof *lines);
      if (lines == NULL) return fail("reading stdin", CAPPY_ERR_INTERNAL);
    }
    lines[n].text = line;
    lines[n].pair.first = line;
    lines[n].pair.first_len = (size_t)(tab - line);
    lines[n].pair.second = tab + 1;
    lines[n].pair.second_len = (size_t)(len - (tab + 1 - line));
    ++n;
    line = NULL; /* the pair keeps this buffer */
    line_cap = 0;
  }
  free(line);

  cappy_load_params params = cappy_load_default_params();
  params.ort_library_path = getenv("CAPPY_ORT_LIB");
  cappy_model* model = NULL;
  cappy_status status = cappy_model_load(argv[1], &params, &model);
  if (status != CAPPY_OK) return fail("loading the model", status);
  const char* print = getenv("CAPPY_PRINT_INFO");
  if (print != NULL && strcmp(print, "1") == 0 && print_info(model) != 0) return 1;

  cappy_pair* pairs = malloc((n ? n : 1) * sizeof *pairs);
  float* scores = malloc((n ? n : 1) * sizeof *scores);
  if (pairs == NULL || scores == NULL) return fail("allocating", CAPPY_ERR_INTERNAL);
  for (size_t i = 0; i < n; ++i) pairs[i] = lines[i].pair;
  status = cappy_score(model, pairs, n, scores, n, NULL);
  if (status != CAPPY_OK) return fail("scoring", status);
  for (size_t i = 0; i < n; ++i) printf("%.9g\n", scores[i]);

  for (size_t i = 0; i < n; ++i) free(lines[i].text);
  free(lines);
  free(pairs);
  free(scores);
  cappy_model_free(model);
  return 0;
}
