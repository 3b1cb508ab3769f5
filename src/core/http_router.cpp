#include "core/http_router.h"

namespace kb {

namespace {
std::vector<std::string_view> path_segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  for (;;) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_param(const std::string& segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}
}  // namespace

int HttpRouter::add(std::string_view method, std::string_view pattern) {
  Route route{std::string(method), {}};
  for (auto s : path_segments(pattern)) route.segments.emplace_back(s);
  routes_.push_back(std::move(route));
  return static_cast<int>(routes_.size()) - 1;
}

HttpRouter::Match HttpRouter::match(std::string_view method, std::string_view path) const {
  Match result;
  const auto segments = path_segments(path);
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const Route& route = routes_[i];
    if (route.segments.size() != segments.size()) continue;
    HttpParams params;
    bool ok = true;
    for (std::size_t k = 0; k < segments.size() && ok; ++k) {
      if (is_param(route.segments[k])) {
        auto value = percent_decode(segments[k]);
        ok = value && !value->empty();
        if (ok) params.emplace_back(route.segments[k].substr(1, route.segments[k].size() - 2), std::move(*value));
      } else {
        ok = route.segments[k] == segments[k];
      }
    }
    if (!ok) continue;
    if (route.method == method) {
      result.route = static_cast<int>(i);
      result.params = std::move(params);
      result.allow.clear();
      return result;
    }
    if (result.allow.find(route.method) == std::string::npos)
      result.allow += (result.allow.empty() ? "" : ", ") + route.method;
  }
  return result;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      if (eq == std::string_view::npos) return std::string();
      std::string value(pair.substr(eq + 1));
      for (auto& c : value)
        if (c == '+') c = ' ';  // form encoding
      return percent_decode(value);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

}  // namespace kb
