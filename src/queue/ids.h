// Item and lease ids: unique for the broker's life (a bijective mix of a counter) and not
// guessable (the mix is keyed at random), written as 16 lowercase hex digits.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kb::queue {

class IdSequence {
 public:
  explicit IdSequence(std::uint64_t key);
  std::uint64_t next();

 private:
  std::uint64_t key_;
  std::uint64_t counter_ = 0;
};

std::uint64_t random_key();  // from the system's random source
std::string format_id(std::uint64_t id);
std::optional<std::uint64_t> parse_id(std::string_view text);  // exactly 16 hex digits

}  // namespace kb::queue
