// String helpers used across layers.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kb {

std::string_view trim(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);
bool starts_with(std::string_view s, std::string_view prefix);
std::string to_lower(std::string_view s);  // ASCII letters only
// Strict number parsing: the whole (trimmed) text must be a number.
std::optional<double> parse_double(std::string_view s);
std::optional<long long> parse_int(std::string_view s);
// printf-style fixed decimals ("%.2f").
std::string fixed(double v, int decimals);
// The last `n` non-empty lines of `text`, joined with " | " (for one-line error reasons).
std::string last_lines(std::string_view text, size_t n);
// & < > " ' as entities: safe in HTML/XML element text and in quoted attribute values.
std::string html_escape(std::string_view text);

}  // namespace kb

namespace kb {
// Standard base64 (padding optional, whitespace ignored); nullopt on bad input.
std::optional<std::string> base64_decode(std::string_view text);
std::string base64_encode(std::string_view data);
// Well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool is_valid_utf8(std::string_view text);
}  // namespace kb
