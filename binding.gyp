# node-gyp build of the same addon CMakeLists.txt builds (CMake, driven by
# scripts/build-native.mjs, is the build of record; test/standalone/binding-gyp.test.ts
# proves this builds). Header folders come from scripts/native-deps.mjs, as for CMake;
# simdjson's folder relative to this file, because gyp misplaces the objects of
# sources given by absolute path.
{
  "variables": {
    "ort_headers": "<!(node scripts/native-deps.mjs ort-include)",
    "simdjson_dir": "<!(node scripts/native-deps.mjs simdjson --relative)"
  },
  "targets": [
    {
      "target_name": "cappy",
      "sources": [
        "<!@(node scripts/gyp-sources.cjs core)",
        "<!@(node scripts/gyp-sources.cjs node)",
        "<(simdjson_dir)/simdjson.cpp"
      ],
      "include_dirs": [
        "native/core/include",
        "native/core",
        "native/core/tokenizer/unicode/tables",
        "<!(node scripts/native-deps.mjs napi-include)",
        "<(ort_headers)",
        "<(simdjson_dir)"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "ORT_API_MANUAL_INIT"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O3", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror",
                     "-fvisibility=hidden", "-fvisibility-inlines-hidden"],
      "ldflags": ["-Wl,--version-script=<(module_root_dir)/native/node/exports.map", "-Wl,-z,nodelete"],
      "libraries": ["-ldl", "-lpthread"]
    }
  ]
}
