// Request routing for the HTTP server: method + path patterns with `{name}` segments. Pure (no
// sockets), so it is unit-tested and fuzzed on its own.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kb {

using HttpParams = std::vector<std::pair<std::string, std::string>>;

class HttpRouter {
 public:
  // Registers `method` (e.g. "GET") on `pattern` ("/v1/queues/{queue}/items"); returns the route's
  // index. Patterns are compared segment by segment; `{x}` matches one non-empty segment.
  int add(std::string_view method, std::string_view pattern);

  struct Match {
    int route = -1;         // index from add(), -1 when nothing matched
    HttpParams params;      // `{name}` values, percent-decoded
    std::string allow;      // when the path matched with other methods only: "GET, POST" (405)
  };
  Match match(std::string_view method, std::string_view path) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
  };
  std::vector<Route> routes_;
};

// "%2F" → "/", "+" kept; nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text);
// The decoded value of `name` in a query string "a=1&b=x%20y"; nullopt when absent or malformed.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

}  // namespace kb
