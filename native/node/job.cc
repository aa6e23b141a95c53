#include "job.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace cappy_node {

// Shared by the runner thread and the thread-safe function, whichever ends last.
struct PromiseJob::Flight {
  std::unique_ptr<PromiseJob> job;
  napi_env env = nullptr;
  std::shared_ptr<cappy::CancelFlag> stop;  // the job's, kept here for the drains
  napi_threadsafe_function tsfn = nullptr;
  std::mutex mutex;
  bool finalized = false;  // the thread-safe function is gone: never touch it again

  // On a runner thread: the work, then the report to the JS thread.
  void Run() {
    job->Execute();
    std::lock_guard<std::mutex> lock(mutex);
    if (finalized) return;  // the env is gone; the result goes with it
    napi_call_threadsafe_function(tsfn, nullptr, napi_tsfn_nonblocking);
    napi_release_threadsafe_function(tsfn, napi_tsfn_release);
  }

  // On the JS thread, once the runner has reported back.
  static void Complete(napi_env env, napi_value, void* context, void*) {
    auto& flight = *static_cast<std::shared_ptr<Flight>*>(context);
    if (env == nullptr || !flight->job) return;
    flight->job->Settle(Napi::Env(env));
    flight->job.reset();  // done: Finalize must not raise its stop flag (a CancelToken may outlive it)
  }

  // On the JS thread, when the thread-safe function closes: after Complete
  // normally, or first when the env is torn down.
  static void Finalize(napi_env, void* data, void*) {
    auto* context = static_cast<std::shared_ptr<Flight>*>(data);
    {
      std::lock_guard<std::mutex> lock((*context)->mutex);
      (*context)->finalized = true;
      if ((*context)->job) (*context)->stop->Raise();
    }
    delete context;
  }
};

namespace {

using Flight = PromiseJob::Flight;

// How long a drain waits for the jobs it stopped. A stopped score call ends
// within one ORT graph node and one tokenized window; only a session still
// being created (graph optimization, a TensorRT engine build) cannot be cut
// short. Past this, exit goes on rather than hang.
constexpr std::chrono::seconds kDrainLimit{10};

// The process-wide runner threads: started on demand up to a cap, detached,
// and never destroyed (a static destructor joining them would hang exit).
class Runner {
 public:
  static Runner& Get() {
    static Runner* runner = new Runner();
    return *runner;
  }

  void Post(std::shared_ptr<Flight> flight) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;  // the process is exiting: this job never runs, and no one waits for it
    queue_.push_back(std::move(flight));
    if (idle_ == 0 && threads_ < max_threads_) {
      ++threads_;
      std::thread([this] { Loop(); }).detach();
    }
    ready_.notify_one();
  }

  // Stops the jobs of `env` (every env when null): those queued never start,
  // those running have their stop flag raised; then waits for the running
  // ones to return, at most `limit`. `close`: nothing starts from now on.
  void Drain(napi_env env, bool close, std::chrono::milliseconds limit) {
    std::vector<std::shared_ptr<Flight>> dropped;  // destroyed outside the lock
    std::unique_lock<std::mutex> lock(mutex_);
    if (close) closed_ = true;
    const auto mine = [env](const Flight* f) { return env == nullptr || f->env == env; };
    if (!close) {
      for (auto it = queue_.begin(); it != queue_.end();) {
        if (mine(it->get())) {
          dropped.push_back(std::move(*it));
          it = queue_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (const Flight* f : running_) {
      if (mine(f)) f->stop->Raise();
    }
    // A system_clock deadline: a steady_clock wait binds pthread_cond_clockwait
    // (glibc 2.34), which the portable prebuilt must not need (2.28 baseline).
    done_.wait_until(lock, std::chrono::system_clock::now() + limit,
                     [&] { return std::none_of(running_.begin(), running_.end(), mine); });
    lock.unlock();
  }

  unsigned Running() {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<unsigned>(running_.size());
  }

 private:
  // As many calls at once as cores (at least libuv's default of 4): each
  // call already spreads its batches over ORT's intra-op threads.
  Runner() : max_threads_(std::max(4u, std::thread::hardware_concurrency())) {}

  void Loop() {
    for (;;) {
      std::shared_ptr<Flight> flight;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ++idle_;
        // Once closed, queued work stays queued: the process is exiting.
        ready_.wait(lock, [this] { return !queue_.empty() && !closed_; });
        --idle_;
        flight = std::move(queue_.front());
        queue_.pop_front();
        running_.push_back(flight.get());
      }
      flight->Run();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        running_.erase(std::find(running_.begin(), running_.end(), flight.get()));
      }
      done_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;  // work queued
  std::condition_variable done_;   // a job returned
  std::deque<std::shared_ptr<Flight>> queue_;
  std::vector<const Flight*> running_;
  bool closed_ = false;
  unsigned threads_ = 0;
  unsigned idle_ = 0;
  const unsigned max_threads_;
};

// Whether this thread is the one exit() runs on in Node: the main thread.
bool IsMainThread() {
#if defined(__linux__)
  return static_cast<pid_t>(syscall(SYS_gettid)) == getpid();
#else
  return false;
#endif
}

// Destroyed by exit() before any static object: C++ runs the exiting
// thread's thread_local destructors first ([basic.start.term]), and Node
// calls exit() on its main thread (process.exit(), an uncaught exception,
// the end of the program).
struct ExitDrain {
  ~ExitDrain() { Runner::Get().Drain(nullptr, /*close=*/true, kDrainLimit); }
};

}  // namespace

PromiseJob::PromiseJob(Napi::Env env, const char* name, std::shared_ptr<cappy::CancelFlag> stop)
    : name_(name),
      stop_(stop ? std::move(stop) : std::make_shared<cappy::CancelFlag>()),
      deferred_(Napi::Promise::Deferred::New(env)) {}

void PromiseJob::Execute() {
  try {
    Run();
  } catch (const std::exception& e) {
    error_.Capture(e);
  } catch (...) {
    error_.CaptureUnknown();
  }
}

void PromiseJob::Settle(Napi::Env env) {
  // Node-API calls can still fail here if the env started tearing down after
  // the runner reported; a failure to settle is dropped (no one is waiting).
  try {
    Napi::HandleScope scope(env);
    if (error_.set) {
      deferred_.Reject(MakeError(env, error_.info).Value());
      return;
    }
    try {
      deferred_.Resolve(Result(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (const std::exception& e) {
      deferred_.Reject(FromException(env, e).Value());
    }
  } catch (...) {
  }
}

Napi::Promise PromiseJob::Start(Napi::Env env, PromiseJob* job) {
  auto flight = std::make_shared<Flight>();
  flight->job.reset(job);
  flight->env = env;
  flight->stop = job->stop_;
  Napi::Promise promise = job->deferred_.Promise();
  auto* context = new std::shared_ptr<Flight>(flight);
  napi_status status =
      napi_create_threadsafe_function(env, nullptr, nullptr, Napi::String::New(env, job->name_), 0, 1, context,
                                      &Flight::Finalize, context, &Flight::Complete, &flight->tsfn);
  if (status != napi_ok) {
    delete context;
    throw MakeError(env, cappy::ErrorCode::kRuntime, std::string("cannot start ") + job->name_);
  }
  Runner::Get().Post(std::move(flight));
  return promise;
}

void PromiseJob::DrainOnTeardown(Napi::Env env) {
  // Registered first, so it runs last among the env's cleanup hooks, after
  // the thread-safe functions' own (which raise their jobs' stop flags).
  napi_add_env_cleanup_hook(
      env, [](void* arg) { Runner::Get().Drain(static_cast<napi_env>(arg), /*close=*/false, kDrainLimit); },
      static_cast<napi_env>(env));
  if (IsMainThread()) {
    thread_local ExitDrain exit_drain;
    static_cast<void>(&exit_drain);
  }
}

unsigned PromiseJob::Running() { return Runner::Get().Running(); }

}  // namespace cappy_node
