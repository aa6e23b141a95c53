// Lets the prebuilt addon (CAPPY_PORTABLE_GLIBC, linux-x64 only) load on glibc
// older than the build machine's. Linking on a new glibc binds each call to the
// newest symbol version (dlopen@GLIBC_2.34, pthread_create@GLIBC_2.34, fstat64@GLIBC_2.33, stat@GLIBC_2.33),
// which older systems lack. CMakeLists.txt links with --wrap=<name> for each
// function below, so every call in the addon, the core and the statically
// linked libstdc++ lands here and goes to the x86-64 baseline version
// (GLIBC_2.2.5) instead, which every glibc still exports. The release script
// checks the result with objdump; a new call that needs a newer version fails
// the release, not a user's install.
#include <dlfcn.h>
#include <pthread.h>
#include <sys/stat.h>

#if !defined(__x86_64__) || !defined(__GLIBC__)
#error "glibc_compat.cc is for x86-64 glibc builds only"
#endif

extern "C" {

#define CAPPY_BASELINE(ret, name, params, args)                       \
  ret cappy_baseline_##name params;                                   \
  __asm__(".symver cappy_baseline_" #name ", " #name "@GLIBC_2.2.5"); \
  ret __wrap_##name params { return cappy_baseline_##name args; }

CAPPY_BASELINE(void*, dlopen, (const char* file, int mode), (file, mode))
CAPPY_BASELINE(void*, dlsym, (void* handle, const char* name), (handle, name))
CAPPY_BASELINE(char*, dlerror, (void), ())
CAPPY_BASELINE(int, dlclose, (void* handle), (handle))
CAPPY_BASELINE(int, dladdr, (const void* addr, Dl_info* info), (addr, info))
CAPPY_BASELINE(int, pthread_create, (pthread_t * thread, const pthread_attr_t* attr, void* (*start)(void*), void* arg),
               (thread, attr, start, arg))
CAPPY_BASELINE(int, pthread_join, (pthread_t thread, void** result), (thread, result))
CAPPY_BASELINE(int, pthread_detach, (pthread_t thread), (thread))
CAPPY_BASELINE(int, pthread_once, (pthread_once_t * once, void (*init)(void)), (once, init))

// Before glibc 2.33, fstat64 was an inline wrapper around __fxstat64 with
// _STAT_VER 1 (x86-64's _STAT_VER_LINUX); libstdc++'s file streams call it.
int cappy_baseline___fxstat64(int ver, int fd, struct stat64* buf);
__asm__(".symver cappy_baseline___fxstat64, __fxstat64@GLIBC_2.2.5");
int __wrap_fstat64(int fd, struct stat64* buf) { return cappy_baseline___fxstat64(1, fd, buf); }

// stat the same way (__xstat before glibc 2.33); std::filesystem calls it,
// which the core's model folder reader uses (native/core/model).
int cappy_baseline___xstat(int ver, const char* path, struct stat* buf);
__asm__(".symver cappy_baseline___xstat, __xstat@GLIBC_2.2.5");
int __wrap_stat(const char* path, struct stat* buf) { return cappy_baseline___xstat(1, path, buf); }

// GCC 11+ headers read glibc 2.32's __libc_single_threaded to skip atomic
// reference counting in single-threaded processes. This private copy says
// "maybe threaded", which is always correct (Node is threaded anyway).
__attribute__((visibility("hidden"))) char __libc_single_threaded = 0;

}  // extern "C"
