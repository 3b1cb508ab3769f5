#include "queue/broker_url.h"

#include "core/error.h"
#include "core/files.h"
#include "core/text.h"

namespace kb::queue {

std::string BrokerUrl::text() const {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
}

BrokerUrl parse_broker_url(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return UsageError("--broker '" + std::string(text) + "': " + why + " (expected HOST:PORT or http://HOST:PORT)");
  };
  std::string_view rest = trim(text);
  if (starts_with(rest, "https://")) throw bad("TLS is not supported");
  if (starts_with(rest, "http://")) rest.remove_prefix(7);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  BrokerUrl url;
  std::string_view port;
  if (starts_with(rest, "[")) {
    auto close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') throw bad("bad IPv6 form");
    url.host = std::string(rest.substr(1, close - 1));
    port = rest.substr(close + 2);
  } else {
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) throw bad("no port");
    url.host = std::string(rest.substr(0, colon));
    port = rest.substr(colon + 1);
    if (url.host.find(':') != std::string::npos) throw bad("put an IPv6 address in brackets");
  }
  auto n = parse_int(port);
  if (url.host.empty() || url.host.find('/') != std::string::npos) throw bad("no host");
  if (!n || *n < 1 || *n > 65535) throw bad("port must be 1..65535");
  url.port = std::to_string(*n);
  return url;
}

std::string read_token_file(const std::string& path) {
  std::string token(trim(read_file(path)));
  if (token.empty()) throw EnvironmentError("token file " + path + " is empty");
  return token;
}

}  // namespace kb::queue
