#include "support/test_support.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <regex>
#include <signal.h>
#include <thread>
#include <stdexcept>

#include "core/files.h"

namespace kb::test {

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() / ("kubench-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

static std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::filesystem::path fixtures_dir() { return env_or("KUBENCH_FIXTURES", "tests/fixtures"); }
std::filesystem::path kubench_binary() { return env_or("KUBENCH_BINARY", "kubench"); }
std::string python() { return env_or("KUBENCH_PYTHON", "python3"); }
std::string fixture(const std::string& relative) { return read_file(fixtures_dir() / relative); }

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

FixtureServer::FixtureServer(const std::string& script, const std::vector<std::string>& args, const TempDir& dir) {
  ProcessSpec spec;
  spec.argv = {python(), (fixtures_dir() / script).string()};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.stdout_mode = OutputMode::file;
  spec.stdout_path = dir / (script + ".stdout");
  spec.stderr_mode = OutputMode::file;
  spec.stderr_path = dir / (script + ".stderr");
  child_ = std::make_unique<ChildProcess>(spec);
  // Polls for the PORT line; the bound only keeps a broken fixture from hanging the suite.
  for (int attempt = 0; attempt < 600 && port_ == 0; ++attempt) {
    std::error_code ec;
    if (std::filesystem::exists(spec.stdout_path, ec)) {
      std::smatch m;
      const std::string out = read_file(spec.stdout_path);
      if (std::regex_search(out, m, std::regex("PORT (\\d+)\n"))) port_ = std::stoi(m[1]);
    }
    if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (port_ == 0) throw std::runtime_error(script + " did not start: " + read_file(spec.stderr_path));
}

FixtureServer::~FixtureServer() {
  child_->signal_group(SIGTERM);
  child_->wait();
}

ProcessResult run_kubench(const std::vector<std::string>& args,
                          const std::vector<std::pair<std::string, std::string>>& env, double timeout_seconds) {
  ProcessSpec spec;
  spec.argv = {kubench_binary().string()};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.env = env;
  spec.timeout = std::chrono::milliseconds(static_cast<long>(timeout_seconds * 1000));
  return run_process(spec);
}

void make_video(const std::filesystem::path& path, int width, int height, int frames, const std::string& codec,
                const std::string& pix_fmt) {
  ProcessSpec spec;
  spec.argv = {"ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
               "testsrc2=size=" + std::to_string(width) + "x" + std::to_string(height) + ":rate=30",
               "-frames:v", std::to_string(frames), "-c:v", codec, "-pix_fmt", pix_fmt, path.string()};
  if (codec == "libx264") spec.argv.insert(spec.argv.end() - 1, {"-preset", "ultrafast"});
  if (codec == "libx265") spec.argv.insert(spec.argv.end() - 1, {"-preset", "ultrafast", "-x265-params", "log-level=error"});
  auto r = run_process(spec);
  if (!r.ok()) throw std::runtime_error("ffmpeg could not make " + path.string() + ": " + r.stderr_text);
}

}  // namespace kb::test
