#include "core/process.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <fstream>

#include "core/error.h"
#include "core/files.h"
#include "support/test_support.h"

namespace kb {
namespace {

ProcessSpec sh(const std::string& script) {
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  return spec;
}

// Running, as opposed to gone or a zombie waiting for whoever inherited it to reap it.
bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto after_name = line.rfind(')');
  return after_name != std::string::npos && line.size() > after_name + 2 && line[after_name + 2] != 'Z';
}

TEST(Process, CapturesOutputAndExitStatus) {
  auto r = run_process(sh("echo out; echo err >&2; exit 3"));
  EXPECT_EQ(r.stdout_text, "out\n");
  EXPECT_EQ(r.stderr_text, "err\n");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.describe(), "exit status 3");
}

TEST(Process, FunctionChildRunsForkedAndLeavesTheParentsObjectsAlone) {
  test::TempDir dir;  // its destructor removes it: the child's exit must not run it
  const auto marker = dir / "marker";
  write_file_atomic(marker, "kept\n");
  ProcessSpec spec;
  spec.argv = {"a function"};
  spec.function = [&] {
    std::printf("out %s\n", read_file(marker).c_str());  // buffered: flushed on the way out
    std::fprintf(stderr, "err\n");
    return 5;
  };
  auto r = run_process(spec);
  EXPECT_EQ(r.stdout_text, "out kept\n\n");
  EXPECT_EQ(r.stderr_text, "err\n");
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_EQ(read_file(marker), "kept\n");
}

TEST(Process, FunctionChildIsKilledOnTimeout) {
  ProcessSpec spec;
  spec.argv = {"a function that never returns"};
  spec.function = [] {
    for (;;) ::pause();
    return 0;
  };
  spec.timeout = std::chrono::milliseconds(200);
  spec.kill_grace = std::chrono::milliseconds(100);
  auto r = run_process(spec);
  EXPECT_TRUE(r.timed_out);
  EXPECT_NE(r.signal, 0);
}

TEST(Process, ArgvIsNotInterpretedByAShell) {
  ProcessSpec spec;
  spec.argv = {"/bin/echo", "$HOME", "a;b", "`id`"};
  auto r = run_process(spec);
  EXPECT_EQ(r.stdout_text, "$HOME a;b `id`\n");
}

TEST(Process, ReportsTheSignalThatEndedTheChild) {
  auto r = run_process(sh("kill -9 $$"));
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_NE(r.describe().find("signal 9"), std::string::npos);
}

TEST(Process, MissingProgramIsAnEnvironmentError) {
  ProcessSpec spec;
  spec.argv = {"kubench-no-such-program"};
  try {
    run_process(spec);
    FAIL() << "expected an error";
  } catch (const EnvironmentError& e) {
    EXPECT_NE(std::string(e.what()).find("command not found"), std::string::npos);
  }
}

TEST(Process, TimeoutKillsTheWholeProcessGroup) {
  test::TempDir dir;
  auto pidfile = dir / "grandchild.pid";
  auto spec = sh("sleep 100 & echo $! > " + pidfile.string() + "; wait");
  spec.timeout = std::chrono::milliseconds(300);
  spec.kill_grace = std::chrono::milliseconds(200);
  auto r = run_process(spec);
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.ok());
  auto grandchild = static_cast<pid_t>(std::stol(read_file(pidfile)));
  // The grandchild was in the same group: it must be gone (a zombie reaped by init is fine).
  for (int i = 0; i < 100 && alive(grandchild); ++i) ::usleep(10000);
  EXPECT_FALSE(alive(grandchild));
}

TEST(Process, TermIgnoringChildIsKilledAfterTheGrace) {
  auto spec = sh("trap '' TERM; sleep 100");
  spec.timeout = std::chrono::milliseconds(200);
  spec.kill_grace = std::chrono::milliseconds(200);
  auto r = run_process(spec);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.signal, SIGKILL);
}

TEST(Process, LinePipeDeliversEachLineInOrder) {
  auto spec = sh("for i in 1 2 3; do echo line$i >&3; done; printf tail >&3");
  spec.line_fd = 3;
  std::vector<std::string> lines;
  auto r = run_process(spec, [&](std::string_view l) { lines.emplace_back(l); });
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(lines, (std::vector<std::string>{"line1", "line2", "line3", "tail"}));
}

TEST(Process, OutputToFilesAndEnvironment) {
  test::TempDir dir;
  auto spec = sh("echo $KB_TEST_VALUE; echo oops >&2");
  spec.env = {{"KB_TEST_VALUE", "forty-two"}};
  spec.stdout_mode = OutputMode::file;
  spec.stdout_path = dir / "out.txt";
  spec.stderr_mode = OutputMode::file;
  spec.stderr_path = dir / "err.txt";
  auto r = run_process(spec);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(read_file(dir / "out.txt"), "forty-two\n");
  EXPECT_EQ(read_file(dir / "err.txt"), "oops\n");
}

TEST(Process, ExitingChildWithLingeringDescendantDoesNotHang) {
  // The background sleep keeps stdout open; wait() must return when the child itself exits.
  auto r = run_process(sh("sleep 30 & echo started"));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.stdout_text, "started\n");
  EXPECT_LT(r.wall_seconds, 25.0);
}

TEST(Process, MeasuresChildCpuTime) {
  auto r = run_process(sh("i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"));
  EXPECT_TRUE(r.ok());
  EXPECT_GT(r.user_seconds + r.system_seconds, 0.0);
}

TEST(Process, FindExecutableSearchesPath) {
  EXPECT_TRUE(find_executable("sh").has_value());
  EXPECT_FALSE(find_executable("kubench-no-such-program").has_value());
  EXPECT_TRUE(find_executable("/bin/sh").has_value());
}

}  // namespace
}  // namespace kb
