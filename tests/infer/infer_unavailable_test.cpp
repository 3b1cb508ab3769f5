// A build without libtorch: `kubench infer` says what to do, and nothing crashes. This test links
// infer_runner_unavailable.cpp (what such a build links) into a build that has libtorch.
#include <gtest/gtest.h>

#include "core/error.h"
#include "infer/infer_runner.h"

namespace kb::infer {
namespace {

TEST(InferUnavailable, SaysSoWithWhatToDo) {
  EXPECT_FALSE(libtorch_available());
  EXPECT_EQ(libtorch_version(), "");
  try {
    run_inference(InferOptions{});
    FAIL() << "no error";
  } catch (const EnvironmentError& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    EXPECT_NE(std::string(e.what()).find("built without libtorch, so it has no `infer`: install Debian's libtorch-dev"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kb::infer
