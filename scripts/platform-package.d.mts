// Types of platform-package.mjs (plain JS, since the install step runs before any TypeScript is built).
export declare const PLATFORM_SCOPE: string;
export declare const PREBUILT_PLATFORMS: readonly string[];
export declare const PREBUILT_FILES: {
  readonly addon: string;
  readonly ort: string;
  readonly ortProvidersShared: string;
  readonly buildInfo: string;
};
export declare function libcFamily(): '' | 'gnu' | 'musl';
export declare function platformId(): string;
export declare function platformPackageName(id?: string): string;

/** What build-info.json in a platform package records. */
export interface PrebuiltBuildInfo {
  platform: string;
  version: string;
  napiVersion: number;
  compiler: string;
  /** The newest GLIBC_* symbol version the addon needs. */
  addonGlibc: string;
  /** GLIBCXX_* versions the addon needs: none when libstdc++ is linked in. */
  addonGlibcxx: string;
  /** ORT_API_VERSION of the bundled ONNX Runtime headers: 29 for ORT 1.29. */
  ortApiVersion: number;
  ortGlibc: string;
  ortGlibcxx: string;
}

export interface PlatformPackage {
  name: string;
  version: string;
  dir: string;
  addon?: string;
  ort?: string;
  buildInfo?: PrebuiltBuildInfo;
}
export declare function findPlatformPackage(fromFile: string): PlatformPackage | undefined;
