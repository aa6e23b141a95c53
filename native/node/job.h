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
// job's stop flag (a score call stops at its next batch) and the result is
// dropped, since no one is left to receive it. Runner threads are a small
// process-wide set, never joined, like libuv's, and keep long inference
// calls off libuv's pool, which file I/O and crypto in the same process need.
#pragma once

#include <napi.h>

#include <atomic>
#include <memory>

#include "errors.h"

namespace cappy_node {

class PromiseJob {
 public:
  virtual ~PromiseJob() = default;
  PromiseJob(const PromiseJob&) = delete;
  PromiseJob& operator=(const PromiseJob&) = delete;

  // Starts `job` (made with new; owned from here on) and returns its promise.
  static Napi::Promise Start(Napi::Env env, PromiseJob* job);

 protected:
  // `stop`: a flag the job polls (a CancelToken's), raised too when the env
  // goes away first; null makes a fresh one.
  PromiseJob(Napi::Env env, const char* name, std::shared_ptr<std::atomic<bool>> stop = nullptr);

  // The work, on a runner thread.
  virtual void Run() = 0;
  // The resolved value, on the JS thread.
  virtual Napi::Value Result(Napi::Env env) = 0;

  const std::atomic<bool>* stop_flag() const { return stop_.get(); }

 private:
  struct Flight;
  void Execute();
  void Settle(Napi::Env env);

  const char* name_;
  std::shared_ptr<std::atomic<bool>> stop_;
  Napi::Promise::Deferred deferred_;
  PendingError error_;
};

}  // namespace cappy_node
