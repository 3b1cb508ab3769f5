#include "power/sysfs_attribute.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "core/text.h"

namespace kb::power {

std::optional<std::string> read_sysfs_text(const std::filesystem::path& path, std::string* error) {
  // open/read rather than ifstream: we need errno, and ifstream "reads" a directory as empty.
  auto fail = [&](int err) -> std::optional<std::string> {
    if (error) *error = path.string() + ": " + std::strerror(err);
    return std::nullopt;
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(errno);
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      text.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) break;
    if (errno == EINTR) continue;
    int err = errno;
    ::close(fd);
    return fail(err);
  }
  ::close(fd);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

std::optional<std::uint64_t> read_sysfs_u64(const std::filesystem::path& path, std::string* error) {
  auto text = read_sysfs_text(path, error);
  if (!text) return std::nullopt;
  std::string_view digits = kb::trim(*text);
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    if (error) *error = path.string() + ": not a number (\"" + std::string(digits.substr(0, 32)) + "\")";
    return std::nullopt;
  }
  return value;
}

}  // namespace kb::power
