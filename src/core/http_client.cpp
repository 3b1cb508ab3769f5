#include "core/http_client.h"

#include <curl/curl.h>

#include <cctype>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "core/error.h"
#include "core/interrupt.h"

namespace kb {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

using CurlPtr = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using SlistPtr = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

size_t append_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

int abort_on_interrupt(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) { return interrupted() ? 1 : 0; }

HttpResponse perform(CURL* curl, const std::string& url, const HttpRequestOptions& opts, curl_slist* extra) {
  HttpResponse resp;
  SlistPtr headers(extra, &curl_slist_free_all);
  for (auto& [k, v] : opts.headers) headers.reset(curl_slist_append(headers.release(), (k + ": " + v).c_str()));
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &resp.body);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, opts.connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, opts.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "kubench/0.1");
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, abort_on_interrupt);
  CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_ABORTED_BY_CALLBACK) throw Interrupted();
  if (rc != CURLE_OK) throw EnvironmentError(url + ": " + curl_easy_strerror(rc));
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp.status);
  char* ct = nullptr;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct);
  if (ct) resp.content_type = ct;
  return resp;
}

CurlPtr new_handle() {
  global_init();
  CurlPtr curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) throw EnvironmentError("libcurl initialisation failed");
  return curl;
}

}  // namespace

HttpResponse http_get(const std::string& url, const HttpRequestOptions& opts) {
  auto curl = new_handle();
  return perform(curl.get(), url, opts, nullptr);
}

HttpResponse http_post(const std::string& url, const std::string& body, const std::string& content_type,
                       const HttpRequestOptions& opts) {
  auto curl = new_handle();
  curl_easy_setopt(curl.get(), CURLOPT_POST, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  return perform(curl.get(), url, opts, curl_slist_append(nullptr, ("Content-Type: " + content_type).c_str()));
}

namespace {
struct DownloadState {
  FILE* file = nullptr;
  std::int64_t offset = 0;
  const DownloadProgress* progress = nullptr;
  long status = 0;
};

int download_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  if (interrupted()) return 1;
  auto* st = static_cast<DownloadState*>(user);
  if (st->progress && *st->progress) (*st->progress)(st->offset + now, total > 0 ? st->offset + total : -1);
  return 0;
}

size_t write_file(char* data, size_t size, size_t n, void* user) {
  auto* st = static_cast<DownloadState*>(user);
  return std::fwrite(data, size, n, st->file) * size;
}
}  // namespace

namespace {

// One attempt: appends to `part` from its current size. Returns curl's code and the HTTP status.
std::pair<CURLcode, long> download_once(const std::string& url, const std::filesystem::path& part,
                                        const DownloadProgress& progress) {
  std::error_code ec;
  DownloadState st;
  st.progress = &progress;
  st.offset = std::filesystem::exists(part, ec) ? static_cast<std::int64_t>(std::filesystem::file_size(part, ec)) : 0;
  st.file = std::fopen(part.c_str(), "ab");
  if (!st.file) throw EnvironmentError("cannot write " + part.string());
  std::unique_ptr<FILE, decltype(&std::fclose)> closer(st.file, &std::fclose);

  auto curl = new_handle();
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS, 15000L);
  // A stalled transfer (under 1 KiB/s for 60 s) fails instead of hanging forever.
  curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(curl.get(), CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(st.offset));
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, write_file);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &st);
  curl_easy_setopt(curl.get(), CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl.get(), CURLOPT_XFERINFOFUNCTION, download_progress);
  curl_easy_setopt(curl.get(), CURLOPT_XFERINFODATA, &st);
  curl_easy_setopt(curl.get(), CURLOPT_USERAGENT, "kubench/0.1");
  CURLcode rc = curl_easy_perform(curl.get());
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (rc == CURLE_OK && st.offset > 0 && status == 200) rc = CURLE_RANGE_ERROR;  // range ignored: bytes appended wrongly
  return {rc, status};
}

// Failures where the connection broke mid-way: resuming is likely to get further.
bool resumable(CURLcode rc) {
  return rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
         rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_GOT_NOTHING;
}

}  // namespace

void http_download(const std::string& url, const std::filesystem::path& dest, const DownloadProgress& progress) {
  auto part = dest;
  part += ".part";
  std::error_code ec;
  constexpr int kAttempts = 5;
  CURLcode rc = CURLE_OK;
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    rc = download_once(url, part, progress).first;
    if (rc == CURLE_ABORTED_BY_CALLBACK) throw Interrupted();
    if (rc == CURLE_RANGE_ERROR) {
      std::filesystem::remove(part, ec);
      throw EnvironmentError(url + ": server does not support resuming; partial file discarded, run again");
    }
    if (rc == CURLE_OK || !resumable(rc)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250 * attempt));
  }
  if (rc != CURLE_OK)
    throw EnvironmentError(url + ": " + curl_easy_strerror(rc) + " (partial download kept; run again to resume)");
  std::filesystem::rename(part, dest, ec);
  if (ec) throw EnvironmentError("cannot rename " + part.string() + ": " + ec.message());
}

std::string url_encode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace kb
