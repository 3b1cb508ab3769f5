// Where the broker is, as the worker and the load client are told: "HOST:PORT" or
// "http://HOST:PORT" ("[::1]:8080" for IPv6). TLS is not spoken: in a cluster the broker sits
// behind a Service on the pod network.
#pragma once
#include <string>
#include <string_view>

namespace kb::queue {

struct BrokerUrl {
  std::string host;  // without brackets
  std::string port;
  std::string text() const;  // "127.0.0.1:8080"
};

// Throws UsageError naming the flag's value and the expected form.
BrokerUrl parse_broker_url(std::string_view text);

// A token file holds one token; surrounding whitespace is ignored. Throws EnvironmentError.
std::string read_token_file(const std::string& path);

}  // namespace kb::queue
