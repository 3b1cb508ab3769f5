// Linked when the build did not find libtorch: `kubench infer` says so, it never crashes.
#include "core/error.h"
#include "infer/infer_runner.h"

namespace kb::infer {

bool libtorch_available() { return false; }
std::string libtorch_version() { return ""; }

namespace {
[[noreturn]] void unavailable() {
  throw EnvironmentError(
      "this kubench was built without libtorch, so it has no `infer`: install Debian's libtorch-dev (scripts/install-deps.sh --infer) and rebuild, "
      "or use kubench's container image, which has it");
}
}  // namespace

InferResult run_inference(const InferOptions&, const InferEvents&) { unavailable(); }

struct InferSession::Impl {};
InferSession::InferSession(const InferOptions&, int, const InferEvents&) { unavailable(); }
InferSession::~InferSession() = default;
const InferResult& InferSession::model() const { unavailable(); }
double InferSession::run_query(int) { unavailable(); }

}  // namespace kb::infer
