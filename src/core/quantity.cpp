#include "core/quantity.h"

#include <cctype>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace kb {

namespace {

// The suffixes Kubernetes accepts, as factors of the unit.
long double suffix_factor(const std::string& s, bool& ok) {
  ok = true;
  if (s.empty()) return 1;
  if (s == "m") return 1e-3L;
  if (s == "k") return 1e3L;
  if (s == "M") return 1e6L;
  if (s == "G") return 1e9L;
  if (s == "T") return 1e12L;
  if (s == "P") return 1e15L;
  if (s == "E") return 1e18L;
  if (s == "Ki") return 1024.0L;
  if (s == "Mi") return 1024.0L * 1024;
  if (s == "Gi") return 1024.0L * 1024 * 1024;
  if (s == "Ti") return 1024.0L * 1024 * 1024 * 1024;
  if (s == "Pi") return 1024.0L * 1024 * 1024 * 1024 * 1024;
  if (s == "Ei") return 1024.0L * 1024 * 1024 * 1024 * 1024 * 1024;
  if (s.size() > 1 && (s[0] == 'e' || s[0] == 'E')) {
    try {
      size_t used = 0;
      const int exponent = std::stoi(s.substr(1), &used);
      if (used + 1 == s.size()) return std::pow(10.0L, exponent);
    } catch (const std::exception&) {
    }
  }
  ok = false;
  return 0;
}

}  // namespace

int64_t parse_quantity_milli(const std::string& text) {
  const auto bad = [&](const std::string& why) { return ParseError("'" + text + "' is not a Kubernetes quantity (" + why + ")"); };
  size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  const size_t digits_start = i;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == digits_start) throw bad("e.g. 500m, 2, 4Gi");
  long double number = 0;
  try {
    number = std::stold(text.substr(0, i));
  } catch (const std::exception&) {
    throw bad("e.g. 500m, 2, 4Gi");
  }
  bool ok = false;
  const long double factor = suffix_factor(text.substr(i), ok);
  if (!ok) throw bad("unknown suffix '" + text.substr(i) + "'");
  // The scheduler rounds a fraction of a thousandth up.
  const long double milli = std::ceil(number * factor * 1000.0L - 1e-9L);
  if (std::fabs(milli) > static_cast<long double>(std::numeric_limits<int64_t>::max() / 2)) throw bad("too large");
  return static_cast<int64_t>(milli);
}

std::string format_quantity_milli(int64_t milli) {
  if (milli % 1000 != 0) {
    if (milli % 100 == 0 && std::abs(milli) < 100000) {
      const int64_t whole = milli / 1000, tenths = std::abs(milli % 1000) / 100;
      return (milli < 0 && whole == 0 ? "-" : "") + std::to_string(whole) + "." + std::to_string(tenths);
    }
    return std::to_string(milli) + "m";
  }
  int64_t units = milli / 1000;
  static const char* binary[] = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  const char* suffix = "";
  for (const char* b : binary) {
    if (units == 0 || units % 1024 != 0) break;
    units /= 1024;
    suffix = b;
  }
  return std::to_string(units) + suffix;
}

}  // namespace kb
