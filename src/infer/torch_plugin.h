// The boundary between kubench and its libtorch plugin (kubench-torch.so, built from
// infer_runner_torch.cpp). libtorch costs ~165 MB of resident memory and half a second at
// start-up just by being linked, so the kubench binary does not link it: `infer` (and the queue
// worker's infer workload) load the plugin when they run. Host and plugin are built together, by
// the same compiler, so C++ types cross; errors cross as data, and Ctrl-C through a callback
// (the plugin has its own copy of core/, with its own interrupt flag).
#pragma once
#include <string>

#include "infer/infer_options.h"
#include "infer/infer_result.h"

namespace kb::infer {

struct InferEvents;

inline constexpr int kTorchPluginAbi = 1;

struct PluginError {
  int exit_code = 0;  // 0: none
  bool environment = false;  // EnvironmentError rather than UsageError
  std::string message;
};

struct TorchPlugin {
  int abi = kTorchPluginAbi;
  std::string (*libtorch_version)();
  bool (*run)(const InferOptions& options, const InferEvents& events, bool (*stop)(), InferResult& out, PluginError& error);
  void* (*open_session)(const InferOptions& options, int slots, PluginError& error);
  bool (*query)(void* session, int slot, double& latency_ms, PluginError& error);
  const InferResult* (*session_model)(void* session);
  void (*close_session)(void* session);
};

}  // namespace kb::infer

extern "C" const kb::infer::TorchPlugin* kubench_torch_plugin();
