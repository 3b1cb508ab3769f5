// Helpers shared by the test suite: temporary directories, fixtures, running the built binary.
#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/process.h"

namespace kb::test {

// A fresh directory under the system temp dir, removed when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

std::filesystem::path fixtures_dir();     // tests/fixtures
std::filesystem::path kubench_binary();   // the built kubench
std::string python();                     // python3 used for test servers
std::string fixture(const std::string& relative);  // contents of tests/fixtures/<relative>
void write_text(const std::filesystem::path& path, const std::string& text);
// A loopback port nobody listens on right now, for servers that cannot pick one themselves (Prometheus).
int free_loopback_port();

// A python fixture server (tests/fixtures/<script>) run as a child; it prints "PORT <n>" as its
// first stdout line. Stopped with SIGTERM by pid when the object goes away.
class FixtureServer {
 public:
  FixtureServer(const std::string& script, const std::vector<std::string>& args, const TempDir& dir);
  ~FixtureServer();
  FixtureServer(const FixtureServer&) = delete;
  FixtureServer& operator=(const FixtureServer&) = delete;
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  std::unique_ptr<ChildProcess> child_;
  int port_ = 0;
};

// Runs the built kubench with `args`, capturing stdout and stderr.
ProcessResult run_kubench(const std::vector<std::string>& args,
                          const std::vector<std::pair<std::string, std::string>>& env = {},
                          double timeout_seconds = 300);

// Generates a small test video with ffmpeg (lavfi testsrc2), `frames` frames at 30 fps.
void make_video(const std::filesystem::path& path, int width, int height, int frames,
                const std::string& codec = "libx264", const std::string& pix_fmt = "yuv420p");

}  // namespace kb::test
