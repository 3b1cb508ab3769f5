#include "core/files.h"

#include <fcntl.h>
#include <stdlib.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "core/error.h"

namespace kb {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw EnvironmentError("cannot read " + path.string() + ": " + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file_atomic(const std::filesystem::path& path, const std::string& content) {
  auto tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw EnvironmentError("cannot write " + path.string() + ": " + std::strerror(errno));
  const char* p = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw EnvironmentError("cannot write " + path.string() + ": " + std::strerror(e));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw EnvironmentError("cannot write " + path.string() + ": " + std::strerror(e));
  }
}

namespace {
struct DigestCtx {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
  DigestCtx() { EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr); }
  void update(const void* data, size_t n) { EVP_DigestUpdate(ctx.get(), data, n); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx.get(), md, &len);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
      out += digits[md[i] >> 4];
      out += digits[md[i] & 15];
    }
    return out;
  }
};
}  // namespace

std::string sha256_hex(const std::string& data) {
  DigestCtx d;
  d.update(data.data(), data.size());
  return d.hex();
}

std::string sha256_sampled(const std::filesystem::path& path, std::int64_t bytes) {
  constexpr std::int64_t kChunk = 1 << 20;
  std::ifstream in(path, std::ios::binary);
  std::string data = std::to_string(bytes) + "\n";
  auto take = [&](std::int64_t offset, std::int64_t n) {
    std::string buf(static_cast<size_t>(n), '\0');
    in.seekg(offset);
    in.read(buf.data(), n);
    buf.resize(static_cast<size_t>(in.gcount()));
    data += buf;
    in.clear();
  };
  take(0, std::min(bytes, kChunk));
  if (bytes > kChunk) take(std::max(kChunk, bytes - kChunk), std::min(kChunk, bytes - kChunk));
  return sha256_hex(data);
}

std::string sha256_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw EnvironmentError("cannot read " + path.string() + ": " + std::strerror(errno));
  DigestCtx d;
  std::unique_ptr<char[]> buf(new char[1 << 20]);
  for (;;) {
    ssize_t n = ::read(fd, buf.get(), 1 << 20);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      throw EnvironmentError("cannot read " + path.string() + ": " + std::strerror(e));
    }
    if (n == 0) break;
    d.update(buf.get(), static_cast<size_t>(n));
  }
  ::close(fd);
  return d.hex();
}

void ensure_writable_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw EnvironmentError("cannot create " + dir.string() + ": " + ec.message());
  auto probe = dir / (".kubench-write-test." + std::to_string(::getpid()));
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw EnvironmentError("cannot write to " + dir.string() + ": " + std::strerror(errno));
  ::close(fd);
  ::unlink(probe.c_str());
}

TempDirectory::TempDirectory(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + ".XXXXXX")).string();
  if (!::mkdtemp(pattern.data())) throw EnvironmentError("cannot make a temporary directory " + pattern + ": " + std::strerror(errno));
  path_ = pattern;
}

TempDirectory::~TempDirectory() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace kb
