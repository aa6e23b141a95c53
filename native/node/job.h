// One job per call, settling one promise: a runner thread does the work
// (exceptions become the rejection, with their cappyCode), the JS thread
// builds the value. Every job of the addon (load, score, runIds,
// encodeBatch) derives from this, so the lifetime rules live in one place.
//
// Jobs run on the addon's own threads and report back through a per-job
// thread-safe function, not through napi_async_work: when an env is torn
// down (worker.terminate(), or a worker ending with a call in flight) Node
// waits for its thread-pool work before running any cleanup hook, so a
// 10-second score call held a terminating worker for 10 seconds. Here the
// teardown finalizes the job's thread-safe function at once; that raises the
// job's stop flag (a score call stops within one graph node) and the result
// is dropped, since no one is left to receive it. Runner threads are a small
// process-wide set, never joined, like libuv's, and keep long inference
// calls off libuv's pool, which file I/O and crypto in the same process need.
//
// Exit: a job must never be inside the core or ONNX Runtime while the
// process runs its static destructors. exit() destroys ORT's static objects
// (its type singletons, registries) on the thread that called it, and a
// kernel still running on a runner thread then calls into destroyed objects:
// "GetElementType is not implemented" errors from ORT, or a SIGSEGV. So the
// runners are drained first: at the main thread's exit (its thread_local
// destructors run before any static destructor), and when an env is torn
// down (its cleanup hook), every job in flight is stopped and waited for.
#pragma once

#include <napi.h>

#include <chrono>
#include <memory>

#include "cappy/cappy.h"
#include "errors.h"

namespace cappy_node {

class PromiseJob {
 public:
  virtual ~PromiseJob() = default;
  PromiseJob(const PromiseJob&) = delete;
  PromiseJob& operator=(const PromiseJob&) = delete;

  // Starts `job` (made with new; owned from here on) and returns its promise.
  static Napi::Promise Start(Napi::Env env, PromiseJob* job);

  // Stops the jobs of `env` when it is torn down, and every job before the
  // process exits (see above). Called once per env by the addon's Init.
  static void DrainOnTeardown(Napi::Env env);

  // For tests: jobs of any env running now.
  static unsigned Running();

  struct Flight;  // job.cc: a started job and its thread-safe function

 protected:
  // `stop`: a flag the job's work polls (a CancelToken's), raised too when
  // the env goes away or the process exits; null makes a fresh one.
  PromiseJob(Napi::Env env, const char* name, std::shared_ptr<cappy::CancelFlag> stop = nullptr);

  // The work, on a runner thread.
  virtual void Run() = 0;
  // The resolved value, on the JS thread.
  virtual Napi::Value Result(Napi::Env env) = 0;

  const cappy::CancelFlag* stop_flag() const { return stop_.get(); }

 private:
  void Execute();
  void Settle(Napi::Env env);

  const char* name_;
  std::shared_ptr<cappy::CancelFlag> stop_;
  Napi::Promise::Deferred deferred_;
  PendingError error_;
};

}  // namespace cappy_node
