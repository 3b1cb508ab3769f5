// Optional bearer tokens for the broker's clients and workers (docs/queue.md, "Authentication").
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace kb::queue {

// The token in `path`, surrounding whitespace removed. EnvironmentError when unreadable,
// UsageError when empty.
std::string read_token_file(const std::filesystem::path& path);

// Compares in time that depends on the lengths only, never on where the first difference is.
bool constant_time_equal(std::string_view a, std::string_view b);

// Whether an Authorization header value is "Bearer <token>" ("bearer" in any case).
bool bearer_matches(std::string_view authorization, std::string_view token);

struct AccessTokens {
  std::optional<std::string> client;  // --token-file
  std::optional<std::string> worker;  // --worker-token-file; falls back to `client`

  bool client_allowed(std::string_view authorization) const;
  bool worker_allowed(std::string_view authorization) const;
  bool reader_allowed(std::string_view authorization) const;  // either token
};

}  // namespace kb::queue
