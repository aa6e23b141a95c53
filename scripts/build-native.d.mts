// Types of build-native.mjs (plain JS: it is the install step, run before TypeScript is built).
export declare const packageRoot: string;
export declare function sourceBuildForced(env?: NodeJS.ProcessEnv): boolean;
export declare function smokeTestAddon(addonPath: string, ortLibrary?: string): { ok: true } | { ok: false; error: string };
export declare function buildFromSource(options?: {
  buildDir?: string;
  debug?: boolean;
  portable?: boolean;
  env?: NodeJS.ProcessEnv;
}): string;
