// Linked when the build did not find libtorch: `kubench infer` says so, it never crashes.
#include "core/error.h"
#include "infer/infer_runner.h"

namespace kb::infer {

bool libtorch_available() { return false; }
std::string libtorch_version() { return ""; }

InferResult run_inference(const InferOptions&, const InferEvents&) {
  throw EnvironmentError(
      "kubench infer: this kubench was built without libtorch; install Debian's libtorch-dev and rebuild (./dev.sh build), "
      "or use kubench's container image, which has it");
}

}  // namespace kb::infer
