#include "queue/bearer_auth.h"

#include <algorithm>

#include "core/error.h"
#include "core/files.h"
#include "core/text.h"

namespace kb::queue {

std::string read_token_file(const std::filesystem::path& path) {
  std::string text;
  try {
    text = read_file(path);
  } catch (const std::exception& e) {
    throw EnvironmentError("cannot read token file " + path.string() + ": " + e.what());
  }
  std::string token(trim(text));
  if (token.empty()) throw UsageError("token file " + path.string() + " is empty");
  return token;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(i < a.size() ? a[i] : 0);
    const auto y = static_cast<unsigned char>(i < b.size() ? b[i] : 0);
    diff = static_cast<unsigned char>(diff | (x ^ y));
  }
  return diff == 0;
}

bool bearer_matches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() < kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    char c = authorization[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return false;
  }
  return constant_time_equal(trim(authorization.substr(kScheme.size())), token);
}

bool AccessTokens::client_allowed(std::string_view authorization) const {
  return !client || bearer_matches(authorization, *client);
}

bool AccessTokens::worker_allowed(std::string_view authorization) const {
  const auto& token = worker ? worker : client;
  return !token || bearer_matches(authorization, *token);
}

bool AccessTokens::reader_allowed(std::string_view authorization) const {
  if (!client && !worker) return true;
  return (client && bearer_matches(authorization, *client)) || (worker && bearer_matches(authorization, *worker));
}

}  // namespace kb::queue
