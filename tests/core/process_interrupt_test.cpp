// Separate binary: raise_interrupt() changes process-wide state.
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "core/interrupt.h"
#include "core/process.h"

namespace kb {
namespace {

TEST(ProcessInterrupt, CtrlCKillsRunningChildrenAndSaysSo) {
  install_interrupt_handlers();
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", "sleep 100"};
  spec.kill_grace = std::chrono::milliseconds(500);
  std::thread presser([] {
    ::usleep(200000);
    ::kill(::getpid(), SIGINT);  // a real signal through the real handler
  });
  auto r = run_process(spec);
  presser.join();
  EXPECT_TRUE(interrupted());
  EXPECT_TRUE(r.interrupted);
  EXPECT_EQ(r.describe(), "interrupted");
  EXPECT_LT(r.wall_seconds, 50.0);
}

}  // namespace
}  // namespace kb
