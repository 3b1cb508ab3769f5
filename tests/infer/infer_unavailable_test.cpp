// Without the libtorch plugin (a build without libtorch, or the plugin not beside the binary),
// `infer` says what to install and nothing crashes.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "core/error.h"
#include "infer/infer_runner.h"

namespace kb::infer {
namespace {

TEST(InferUnavailable, SaysSoWithWhatToDo) {
  ::setenv("KUBENCH_TORCH_PLUGIN", "/nonexistent/kubench-torch.so", 1);
  EXPECT_FALSE(torch_plugin_path());
  EXPECT_FALSE(libtorch_available());
  EXPECT_EQ(libtorch_version(), "");
  try {
    run_inference(InferOptions{});
    FAIL() << "no error";
  } catch (const EnvironmentError& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    EXPECT_NE(std::string(e.what()).find("no libtorch plugin (kubench-torch.so beside the binary, or $KUBENCH_TORCH_PLUGIN), so no `infer`: install Debian's libtorch-dev"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(InferSession(InferOptions{}, 1), EnvironmentError);
}

}  // namespace
}  // namespace kb::infer
