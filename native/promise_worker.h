// The addon's one base for asynchronous calls: a Napi::AsyncWorker that settles a promise. Run()
// does the work on a worker thread (a thrown std::exception rejects the promise with its message);
// Result() converts the outcome to JS on the main thread.
#pragma once

#include <napi.h>

#include <exception>

namespace trtdiff {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, const char* name)
      : Napi::AsyncWorker(env, name), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() const { return deferred_.Promise(); }

  // Queues the worker (Node deletes it after it settles) and returns its promise.
  Napi::Promise start() {
    Napi::Promise p = promise();
    Queue();
    return p;
  }

 protected:
  virtual void Run() = 0;
  virtual Napi::Value Result(Napi::Env env) = 0;

 private:
  void Execute() override {
    try {
      Run();
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(Result(Env())); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

  Napi::Promise::Deferred deferred_;
};

}  // namespace trtdiff
