// Small file helpers: whole-file reads, atomic writes, hashing, writability checks.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>

namespace kb {

std::string read_file(const std::filesystem::path& path);  // throws EnvironmentError
// Writes to a temporary file beside `path` and renames it over, so readers never see half a file.
void write_file_atomic(const std::filesystem::path& path, const std::string& content);
std::string sha256_file(const std::filesystem::path& path);  // lowercase hex
std::string sha256_hex(const std::string& data);
// sha256 of the size, the first and the last MiB of a file of `bytes` bytes: cheap on a 50 GB
// video, and a different or re-encoded file differs in its header or tail.
std::string sha256_sampled(const std::filesystem::path& path, std::int64_t bytes);
// Creates `dir` if needed and proves it writable; throws EnvironmentError naming the cause.
void ensure_writable_dir(const std::filesystem::path& dir);

// A fresh private directory under the system temp dir (mkdtemp), removed with its contents when
// the object goes away. Throws EnvironmentError when it cannot be made.
class TempDirectory {
 public:
  explicit TempDirectory(const std::string& prefix = "kubench");
  ~TempDirectory();
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace kb
