// A small blocking HTTP client on libcurl, for result submission and clip downloads.
// (The Kubernetes transport in kube/ has its own, richer client.)
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

namespace kb {

struct HttpResponse {
  long status = 0;
  std::string body;
  std::string content_type;
};

struct HttpRequestOptions {
  long connect_timeout_ms = 10000;
  long timeout_ms = 60000;  // whole transfer; 0 = none (downloads)
  std::map<std::string, std::string> headers;
};

// Throws EnvironmentError naming the URL and curl's reason when no HTTP answer arrives.
HttpResponse http_get(const std::string& url, const HttpRequestOptions& opts = {});
HttpResponse http_post(const std::string& url, const std::string& body, const std::string& content_type,
                       const HttpRequestOptions& opts = {});

// (bytes_done, bytes_total or -1)
using DownloadProgress = std::function<void(std::int64_t, std::int64_t)>;

// Downloads `url` to `dest`, continuing `dest.part` from where an earlier attempt stopped
// (HTTP Range), then renames it into place. A connection that breaks mid-way is resumed
// automatically a few times. Throws EnvironmentError on failure; the .part file is kept so the
// next call resumes.
void http_download(const std::string& url, const std::filesystem::path& dest, const DownloadProgress& progress = {});

// RFC 3986 percent-encoding of everything but unreserved characters.
std::string url_encode(const std::string& text);

}  // namespace kb
