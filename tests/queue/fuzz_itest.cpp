// Runs the libFuzzer target on the broker's request handling (tests/fuzz/run.sh: clang with
// ASan+UBSan) for a bounded time: any crash, sanitizer report or broken invariant fails this test.
// $KUBENCH_FUZZ_SECONDS sets the time (default 30).
#include <gtest/gtest.h>

#include <cstdlib>

#include "core/process.h"
#include "support/test_support.h"

namespace kb {
namespace {

TEST(QueueRequestFuzz, RunsForABoundedTimeWithoutFindings) {
  ProcessSpec spec;
  spec.argv = {"/bin/bash", (test::fixtures_dir() / ".." / "fuzz" / "run.sh").lexically_normal().string()};
  spec.timeout = std::chrono::minutes(9);  // building takes a minute on two cores; fuzzing 30 s
  auto r = run_process(spec);
  if (r.signal == 0 && r.exit_code == 77) GTEST_FAIL() << "no clang/libFuzzer (scripts/install-deps.sh installs clang): " << r.stderr_text;
  EXPECT_TRUE(r.ok()) << r.describe() << "\n" << r.stdout_text << "\n" << r.stderr_text.substr(r.stderr_text.size() > 20000 ? r.stderr_text.size() - 20000 : 0);
}

}  // namespace
}  // namespace kb
