// Types of native-deps.mjs (plain JS: it runs at install time, before TypeScript is built).
export interface HeaderDir {
  dir: string;
  /** Where it was found: an env var, a package name or the running Node. */
  from: string;
}
export declare const ORT_HEADERS_PACKAGE: string;
export declare const ORT_HEADERS_VERSION: string;
export declare const SIMDJSON_PACKAGE: string;
/** native/core/third_party/onnxruntime: ORT's API headers (include/) and LICENSE, vendored. */
export declare const VENDORED_ORT_DIR: string;
export declare const VENDORED_ORT_HEADERS: readonly string[];
/** The npm package's header folder, when installed. */
export declare function ortPackageHeaders(): string | undefined;
export declare const HOW_TO_GET: { readonly ort: string; readonly napi: string; readonly node: string; readonly simdjson: string };
export declare function findOrtHeaders(env?: NodeJS.ProcessEnv): HeaderDir | undefined;
export declare function findNapiHeaders(): HeaderDir | undefined;
export declare function findNodeHeaders(env?: NodeJS.ProcessEnv): HeaderDir | undefined;
export declare function findSimdjson(env?: NodeJS.ProcessEnv): HeaderDir | undefined;
export declare function commandVersion(cmd: string): string | undefined;
export declare function sourceBuildPrerequisites(env?: NodeJS.ProcessEnv): {
  headers: { ort?: HeaderDir; napi?: HeaderDir; node?: HeaderDir; simdjson?: HeaderDir };
  /** `cmake --version`'s first line. */
  cmake?: string;
  missing: string[];
};
