#include "job.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace cappy_node {

namespace {

// The process-wide runner threads: started on demand up to a cap, detached,
// and never destroyed (a static destructor joining them would hang exit).
class Runner {
 public:
  static Runner& Get() {
    static Runner* runner = new Runner();
    return *runner;
  }

  void Post(std::function<void()> task) {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(task));
    if (idle_ == 0 && threads_ < max_threads_) {
      ++threads_;
      std::thread([this] { Loop(); }).detach();
    }
    ready_.notify_one();
  }

 private:
  // As many calls at once as cores (at least libuv's default of 4): each
  // call already spreads its batches over ORT's intra-op threads.
  Runner() : max_threads_(std::max(4u, std::thread::hardware_concurrency())) {}

  void Loop() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ++idle_;
        ready_.wait(lock, [this] { return !queue_.empty(); });
        --idle_;
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  unsigned threads_ = 0;
  unsigned idle_ = 0;
  const unsigned max_threads_;
};

}  // namespace

// Shared by the runner thread and the thread-safe function, whichever ends last.
struct PromiseJob::Flight {
  std::unique_ptr<PromiseJob> job;
  napi_threadsafe_function tsfn = nullptr;
  std::mutex mutex;
  bool finalized = false;  // the thread-safe function is gone: never touch it again

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
      if ((*context)->job) (*context)->job->stop_->store(true);
    }
    delete context;
  }
};

PromiseJob::PromiseJob(Napi::Env env, const char* name, std::shared_ptr<std::atomic<bool>> stop)
    : name_(name),
      stop_(stop ? std::move(stop) : std::make_shared<std::atomic<bool>>(false)),
      deferred_(Napi::Promise::Deferred::New(env)) {}

void PromiseJob::Execute() {
  try {
    Run();
  } catch (const std::exception& e) {
    error_.Capture(e);
  }
}

void PromiseJob::Settle(Napi::Env env) {
  // Node-API calls can still fail here if the env started tearing down after
  // the runner reported; a failure to settle is dropped (no one is waiting).
  try {
    Napi::HandleScope scope(env);
    if (error_.set) {
      deferred_.Reject(MakeError(env, error_.code, error_.message).Value());
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
  Napi::Promise promise = job->deferred_.Promise();
  auto* context = new std::shared_ptr<Flight>(flight);
  napi_status status = napi_create_threadsafe_function(
      env, nullptr, nullptr, Napi::String::New(env, job->name_), 0, 1, context, &Flight::Finalize, context,
      &Flight::Complete, &flight->tsfn);
  if (status != napi_ok) {
    delete context;
    throw MakeError(env, cappy::ErrorCode::kRuntime, std::string("cannot start ") + job->name_);
  }
  Runner::Get().Post([flight] {
    flight->job->Execute();
    std::lock_guard<std::mutex> lock(flight->mutex);
    if (flight->finalized) return;  // the env is gone; the result goes with it
    napi_call_threadsafe_function(flight->tsfn, nullptr, napi_tsfn_nonblocking);
    napi_release_threadsafe_function(flight->tsfn, napi_tsfn_release);
  });
  return promise;
}

}  // namespace cappy_node
