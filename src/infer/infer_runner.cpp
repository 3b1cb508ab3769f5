// kubench's side of `infer`: finds and loads the libtorch plugin (torch_plugin.h) on first use.
#include <dlfcn.h>
#include <unistd.h>

#include <mutex>

#include "core/error.h"
#include "core/interrupt.h"
#include "infer/infer_runner.h"
#include "infer/torch_plugin.h"

namespace kb::infer {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPluginName = "kubench-torch.so";

fs::path executable_dir() {
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

[[noreturn]] void raise(const PluginError& e) {
  if (e.environment) throw EnvironmentError(e.message);
  throw Error(e.message, e.exit_code);
}

bool stop_requested() { return interrupted(); }

const TorchPlugin& plugin() {
  static std::once_flag once;
  static const TorchPlugin* loaded = nullptr;
  static std::string failure;
  std::call_once(once, [] {
    const auto path = torch_plugin_path();
    if (!path) {
      failure = "this kubench has no libtorch plugin (" + std::string(kPluginName) +
                " beside the binary, or $KUBENCH_TORCH_PLUGIN), so no `infer`: install Debian's libtorch-dev "
                "(scripts/install-deps.sh --infer) and rebuild, or use kubench's container image, which has it";
      return;
    }
    void* handle = ::dlopen(path->c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      failure = path->string() + ": cannot load the libtorch plugin: " + ::dlerror() + " (is Debian's libtorch1.13 installed?)";
      return;
    }
    auto* entry = reinterpret_cast<const TorchPlugin* (*)()>(::dlsym(handle, "kubench_torch_plugin"));
    if (!entry || !entry() || entry()->abi != kTorchPluginAbi) {
      failure = path->string() + ": not a libtorch plugin of this kubench (rebuild both together)";
      return;
    }
    loaded = entry();  // never unloaded: libtorch does not support it
  });
  if (!loaded) throw EnvironmentError(failure);
  return *loaded;
}

}  // namespace

std::optional<fs::path> torch_plugin_path() {
  std::error_code ec;
  if (const char* env = std::getenv("KUBENCH_TORCH_PLUGIN"); env && *env) {
    if (fs::is_regular_file(env, ec)) return fs::path(env);
    return std::nullopt;
  }
  const auto beside = executable_dir() / kPluginName;
  if (fs::is_regular_file(beside, ec)) return beside;
  return std::nullopt;
}

bool libtorch_available() {
  try {
    plugin();
    return true;
  } catch (const Error&) {
    return false;
  }
}

std::string libtorch_version() { return libtorch_available() ? plugin().libtorch_version() : ""; }

InferResult run_inference(const InferOptions& options, const InferEvents& events) {
  const auto& p = plugin();
  InferResult out;
  PluginError error;
  if (!p.run(options, events, &stop_requested, out, error)) raise(error);
  return out;
}

struct InferSession::Impl {
  const TorchPlugin* plugin = nullptr;
  void* session = nullptr;
};

InferSession::InferSession(const InferOptions& options, int slots, const InferEvents&) : impl_(std::make_unique<Impl>()) {
  impl_->plugin = &plugin();
  PluginError error;
  impl_->session = impl_->plugin->open_session(options, slots, error);
  if (!impl_->session) raise(error);
}

InferSession::~InferSession() {
  if (impl_ && impl_->session) impl_->plugin->close_session(impl_->session);
}

const InferResult& InferSession::model() const { return *impl_->plugin->session_model(impl_->session); }

double InferSession::run_query(int slot) {
  double ms = 0;
  PluginError error;
  if (!impl_->plugin->query(impl_->session, slot, ms, error)) raise(error);
  return ms;
}

}  // namespace kb::infer
