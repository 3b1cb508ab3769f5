#include "kube/client.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "core/http_client.h"
#include "core/interrupt.h"
#include "core/json_field.h"
#include "core/text.h"
#include "core/utc_time.h"
#include "kube/credentials.h"

namespace kb::kube {

std::string resource_path(const Resource& r, const std::string& ns, const std::string& name, const std::string& subresource) {
  std::string p = r.group.empty() ? "/api/" + r.version : "/apis/" + r.group + "/" + r.version;
  if (r.namespaced && !ns.empty()) p += "/namespaces/" + ns;
  p += "/" + r.plural;
  if (!name.empty()) p += "/" + name;
  if (!subresource.empty()) p += "/" + subresource;
  return p;
}

namespace {

std::string query(std::initializer_list<std::pair<std::string, std::string>> params) {
  std::string q;
  for (auto& [k, v] : params) {
    if (v.empty()) continue;
    q += (q.empty() ? "?" : "&") + k + "=" + url_encode(v);
  }
  return q;
}

std::string name_of(const json& object) { return object.value("metadata", json::object()).value("name", ""); }

}  // namespace

Client::Client(std::shared_ptr<Transport> transport) : transport_(std::move(transport)) {}

json Client::request(const std::string& method, const std::string& path, const json* body, const std::string& content_type) {
  Request req{method, path, body ? body->dump() : "", content_type};
  auto resp = transport_->send(req);
  if (resp.status >= 400) throw api_error(method, path, resp.status, resp.body);
  if (resp.body.empty()) return json::object();
  try {
    return json::parse(resp.body);
  } catch (const json::exception&) {
    throw ParseError(method + " " + path + ": the server's answer is not JSON");
  }
}

json Client::get(const Resource& r, const std::string& ns, const std::string& name) {
  return request("GET", resource_path(r, ns, name));
}

std::optional<json> Client::get_if_exists(const Resource& r, const std::string& ns, const std::string& name) {
  try {
    return get(r, ns, name);
  } catch (const ApiError& e) {
    if (e.not_found()) return std::nullopt;
    throw;
  }
}

json Client::list(const Resource& r, const std::string& ns, const ListOptions& o) {
  json all = {{"items", json::array()}, {"metadata", json::object()}};
  std::string cont;
  do {
    auto page = request("GET", resource_path(r, ns) + query({{"labelSelector", o.label_selector},
                                                             {"fieldSelector", o.field_selector},
                                                             {"limit", o.limit > 0 ? std::to_string(o.limit) : ""},
                                                             {"continue", cont}}));
    if (auto items = page.find("items"); items != page.end() && items->is_array())
      for (auto& item : *items) all["items"].push_back(std::move(item));
    const auto& meta = page.contains("metadata") ? page["metadata"] : json::object();
    all["metadata"]["resourceVersion"] = meta.value("resourceVersion", "");
    cont = meta.value("continue", "");
  } while (!cont.empty());
  return all;
}

namespace {

// The list's metadata.continue and resourceVersion, read by SAX from the start of a page: the API
// server writes metadata before items, so the next page can be asked for before this one is parsed.
struct ListMetadata : nlohmann::json_sax<json> {
  std::string continue_token, resource_version;
  int depth = 0;
  std::string last_key;
  bool in_metadata = false;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t& value) override {
    if (in_metadata && depth == 2 && last_key == "continue") continue_token = value;
    if (in_metadata && depth == 2 && last_key == "resourceVersion") resource_version = value;
    return true;
  }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    ++depth;
    if (depth == 2 && last_key == "metadata") in_metadata = true;
    return true;
  }
  bool end_object() override {
    if (depth == 2) in_metadata = false;
    --depth;
    return true;
  }
  bool start_array(std::size_t) override { return depth != 1 || last_key != "items"; }  // stop at the items
  bool end_array() override { return true; }
  bool key(string_t& k) override {
    last_key = k;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }
};

}  // namespace

std::string Client::list_each(const Resource& r, const std::string& ns, const ListOptions& o, const std::function<void(json&& item)>& on_item,
                              const std::set<std::string>& drop_keys) {
  struct Page {
    std::string path, body;
    std::string resource_version;
    bool last = false;
    std::exception_ptr error;
  };
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<Page> ready;
  bool stop = false;
  // Fetches page after page, at most two ahead of the parser (bounded memory).
  std::thread fetcher([&] {
    std::string cont;
    try {
      do {
        const auto path = resource_path(r, ns) + query({{"labelSelector", o.label_selector},
                                                        {"fieldSelector", o.field_selector},
                                                        {"limit", o.limit > 0 ? std::to_string(o.limit) : ""},
                                                        {"continue", cont}});
        auto resp = transport_->send({"GET", path, "", "application/json"});
        if (resp.status >= 400) throw api_error("GET", path, resp.status, resp.body);
        ListMetadata meta;
        json::sax_parse(resp.body, &meta, json::input_format_t::json, false);
        cont = meta.continue_token;
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return stop || ready.size() < 2; });
        if (stop) return;
        ready.push_back({path, std::move(resp.body), meta.resource_version, cont.empty(), nullptr});
        changed.notify_all();
      } while (!cont.empty());
    } catch (...) {
      std::lock_guard lock(mutex);
      ready.push_back({"", "", "", true, std::current_exception()});
      changed.notify_all();
    }
  });
  auto finish = [&] {
    {
      std::lock_guard lock(mutex);
      stop = true;
    }
    changed.notify_all();
    fetcher.join();
  };
  std::string resource_version;
  try {
    for (;;) {
      Page page;
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return !ready.empty(); });
        page = std::move(ready.front());
        ready.pop_front();
      }
      changed.notify_all();
      if (page.error) std::rethrow_exception(page.error);
      json doc;
      try {
        doc = parse_json_without(page.body, drop_keys);
      } catch (const Error&) {
        throw ParseError("GET " + page.path + ": the server's answer is not JSON");
      }
      page.body = std::string();  // freed before the items are handed over
      if (auto items = doc.find("items"); items != doc.end() && items->is_array())
        for (auto& item : *items) on_item(std::move(item));
      resource_version = page.resource_version;
      if (page.last) break;
    }
  } catch (...) {
    finish();
    throw;
  }
  finish();
  return resource_version;
}

json Client::create(const Resource& r, const std::string& ns, const json& object, bool dry_run) {
  return request("POST", resource_path(r, ns) + query({{"dryRun", dry_run ? "All" : ""}}), &object);
}

json Client::replace(const Resource& r, const std::string& ns, const json& object, bool dry_run) {
  return request("PUT", resource_path(r, ns, name_of(object)) + query({{"dryRun", dry_run ? "All" : ""}}), &object);
}

json Client::patch(const Resource& r, const std::string& ns, const std::string& name, const json& p, PatchType type,
                   bool dry_run, const std::string& subresource) {
  const char* content = type == PatchType::merge       ? "application/merge-patch+json"
                        : type == PatchType::strategic ? "application/strategic-merge-patch+json"
                                                       : "application/json-patch+json";  // json_patch
  return request("PATCH", resource_path(r, ns, name, subresource) + query({{"dryRun", dry_run ? "All" : ""}}), &p, content);
}

json Client::apply(const Resource& r, const std::string& ns, const json& object, bool force, bool dry_run) {
  auto name = name_of(object);
  if (name.empty()) throw UsageError("apply needs metadata.name");
  // JSON is valid YAML, so the apply patch can be sent as JSON text.
  return request("PATCH",
                 resource_path(r, ns, name) + query({{"fieldManager", "kubench"}, {"force", force ? "true" : ""},
                                                     {"dryRun", dry_run ? "All" : ""}}),
                 &object, "application/apply-patch+yaml");
}

bool Client::remove(const Resource& r, const std::string& ns, const std::string& name, const std::string& propagation,
                    bool dry_run) {
  json options = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", propagation}};
  if (dry_run) options["dryRun"] = json::array({"All"});
  try {
    request("DELETE", resource_path(r, ns, name), &options);
    return true;
  } catch (const ApiError& e) {
    if (e.not_found()) return false;
    throw;
  }
}

json Client::scale(const Resource& r, const std::string& ns, const std::string& name, int replicas) {
  return patch(r, ns, name, {{"spec", {{"replicas", replicas}}}}, PatchType::merge, false, "scale");
}

std::string Client::server_version() { return request("GET", "/version").value("gitVersion", ""); }

std::vector<std::string> Client::group_versions() {
  std::vector<std::string> out;
  for (auto& v : request("GET", "/api").value("versions", json::array())) out.push_back(v.get<std::string>());
  for (auto& g : request("GET", "/apis").value("groups", json::array()))
    for (auto& v : g.value("versions", json::array())) out.push_back(v.value("groupVersion", ""));
  return out;
}

bool Client::has_resource(const std::string& group_version, const std::string& plural) {
  try {
    auto list = request("GET", group_version.find('/') == std::string::npos ? "/api/" + group_version : "/apis/" + group_version);
    for (auto& r : list.value("resources", json::array()))
      if (r.value("name", "") == plural) return true;
    return false;
  } catch (const ApiError& e) {
    if (e.not_found()) return false;
    throw;
  }
}

void Client::list_watch(const Resource& r, const std::string& ns, const ListOptions& o,
                        const std::function<bool(const WatchEvent&)>& handler) {
  std::mt19937 rng(std::random_device{}());
  std::string rv = o.resource_version;
  bool need_list = rv.empty();
  int failures = 0;
  while (true) {
    if (interrupted()) throw Interrupted();
    if (o.cancel && o.cancel->load()) return;
    if (need_list) {
      auto listed = list(r, ns, o);
      rv = listed["metadata"].value("resourceVersion", "");
      if (!handler({"SYNC", listed["items"]})) return;
      need_list = false;
    }
    // Servers end watches at timeoutSeconds; a spread avoids synchronised reconnects (client-go: 5-10 min).
    std::uniform_int_distribution<int> timeout(300, 600);
    std::string path = resource_path(r, ns) + query({{"watch", "1"}, {"resourceVersion", rv}, {"allowWatchBookmarks", "true"},
                                                     {"timeoutSeconds", std::to_string(timeout(rng))},
                                                     {"labelSelector", o.label_selector}, {"fieldSelector", o.field_selector}});
    std::string buffer;
    bool stop = false, gone = false;
    auto on_data = [&](std::string_view data) {
      buffer.append(data);
      size_t start = 0;
      for (size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
        std::string_view line(buffer.data() + start, nl - start);
        if (trim(line).empty()) continue;
        json event;
        try {
          event = json::parse(line);
        } catch (const json::exception&) {
          continue;  // a torn line from a broken connection; the re-watch resends from rv
        }
        auto type = event.value("type", "");
        auto& object = event["object"];
        if (type == "ERROR") {
          int code = object.value("code", 0);
          if (code == 410 || object.value("reason", "") == "Expired" || object.value("reason", "") == "Gone") gone = true;
          else spdlog::debug("watch error event: {}", object.value("message", ""));
          buffer.clear();
          return false;
        }
        auto new_rv = object.value("metadata", json::object()).value("resourceVersion", "");
        if (!new_rv.empty()) rv = new_rv;
        if (!handler({type, object})) {
          stop = true;
          buffer.clear();
          return false;
        }
      }
      buffer.erase(0, start);
      return true;
    };
    Response resp;
    try {
      resp = transport_->stream({"GET", path, "", "", o.cancel}, on_data);
    } catch (const EnvironmentError& e) {
      if (o.cancel && o.cancel->load()) return;
      if (++failures > 30) throw;
      spdlog::debug("watch: {}; retrying", e.what());
      sleep_unless_interrupted(std::min(std::chrono::milliseconds(800) * (1 << std::min(failures, 5)), std::chrono::milliseconds(30000)));
      continue;
    }
    if (stop || (o.cancel && o.cancel->load())) return;
    if (gone || resp.status == 410) {
      need_list = true;  // the version left etcd's history: list again
      continue;
    }
    if (resp.status >= 400) {
      auto err = api_error("WATCH", path, resp.status, resp.body);
      if (resp.status != 429 && resp.status < 500 && resp.status != 401) throw err;
      if (++failures > 30) throw err;
      sleep_unless_interrupted(std::min(std::chrono::milliseconds(800) * (1 << std::min(failures, 5)), std::chrono::milliseconds(30000)));
      continue;
    }
    failures = 0;  // a watch that ran is a success; the server just ended it
  }
}

namespace {

// A log line's timestamp as (seconds, nanoseconds), so "…:00.5Z" and "…:00.50Z" compare equal.
std::pair<long long, long> log_time(std::string_view ts) {
  auto secs = parse_rfc3339(std::string(ts));
  long long s = secs ? std::chrono::duration_cast<std::chrono::seconds>(secs->time_since_epoch()).count() : 0;
  long nanos = 0;
  auto dot = ts.find('.');
  if (dot != std::string_view::npos) {
    int digits = 0;
    for (size_t i = dot + 1; i < ts.size() && std::isdigit(static_cast<unsigned char>(ts[i])) && digits < 9; ++i, ++digits)
      nanos = nanos * 10 + (ts[i] - '0');
    for (; digits < 9; ++digits) nanos *= 10;
  }
  return {s, nanos};
}

}  // namespace

void Client::follow_log(const std::string& ns, const std::string& pod, const LogOptions& o,
                        const std::function<bool(std::string_view line)>& on_line) {
  // Always ask for timestamps: they are how a reconnect skips what was already delivered. A
  // reconnect asks from the second of the newest line seen; the kubelet then sends, in the log
  // file's order, every line stamped at or after that second — the first of them exactly those we
  // delivered with such stamps, which are skipped by count. Stamps are not compared line by line:
  // stdout and stderr are stamped by separate readers, so a later line can carry an earlier stamp.
  std::string since = o.since_time;
  long long newest_second = -1;
  std::map<long long, int> delivered_per_second;  // seconds >= newest_second - 1 only
  int skip = 0;

  auto deliver = [&](std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto space = line.find(' ');
    std::string_view ts = line.substr(0, space);
    std::string_view text = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    if (skip > 0) {
      --skip;
      return true;
    }
    const long long second = log_time(ts).first;
    ++delivered_per_second[second];
    if (second > newest_second) {
      newest_second = second;
      delivered_per_second.erase(delivered_per_second.begin(), delivered_per_second.lower_bound(newest_second - 1));
    }
    return on_line(o.timestamps ? line : text);
  };
  // Before a reconnect: ask from the newest second, skip what was delivered from it on.
  auto resume_point = [&] {
    if (newest_second < 0) return;
    since = utc_rfc3339(static_cast<std::time_t>(newest_second));
    skip = 0;
    for (auto it = delivered_per_second.lower_bound(newest_second); it != delivered_per_second.end(); ++it) skip += it->second;
  };

  bool stop = false;
  int failures = 0;
  int not_on_kubelet_yet = 0;
  while (!stop) {
    if (interrupted()) throw Interrupted();
    if (o.cancel && o.cancel->load()) return;
    resume_point();
    std::string path = resource_path(resources::pods, ns, pod, "log") +
                       query({{"follow", "true"}, {"timestamps", "true"}, {"container", o.container}, {"sinceTime", since}});
    std::string buffer;
    auto on_data = [&](std::string_view data) {
      buffer.append(data);
      size_t start = 0;
      for (size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
        if (!deliver(std::string_view(buffer.data() + start, nl - start))) {
          stop = true;
          return false;
        }
      }
      buffer.erase(0, start);  // a torn last line is read again after the reconnect
      return true;
    };
    Response resp;
    try {
      resp = transport_->stream({"GET", path, "", "", o.cancel}, on_data);
    } catch (const EnvironmentError&) {
      if (o.cancel && o.cancel->load()) return;
      if (++failures > 30) throw;
      sleep_unless_interrupted(std::chrono::milliseconds(500));
      continue;
    }
    if (stop || (o.cancel && o.cancel->load())) return;
    if (resp.status == 400 && (resp.body.find("waiting to start") != std::string::npos ||
                               resp.body.find("ContainerCreating") != std::string::npos ||
                               resp.body.find("PodInitializing") != std::string::npos)) {
      sleep_unless_interrupted(std::chrono::milliseconds(250));
      continue;
    }
    // Just after binding, the kubelet may not have taken the pod in yet and answers 404 for a
    // pod the API server has: wait for it, while the pod is still there (bounded: ~30 s).
    if (resp.status == 404 && ++not_on_kubelet_yet <= 120 && get_if_exists(resources::pods, ns, pod)) {
      sleep_unless_interrupted(std::chrono::milliseconds(250));
      continue;
    }
    if (resp.status >= 400) throw api_error("GET", path, resp.status, resp.body);

    // Did the container end, or did the connection drop? Ask the pod.
    auto p = get(resources::pods, ns, pod);
    bool terminated = false;
    for (auto* key : {"containerStatuses", "initContainerStatuses"})
      for (auto& cs : p.value("status", json::object()).value(key, json::array()))
        if ((o.container.empty() || cs.value("name", "") == o.container) && cs.contains("state") && cs["state"].contains("terminated"))
          terminated = true;
    if (terminated) {
      // One last plain read for anything written after the break, then done.
      resume_point();
      std::string rest_path = resource_path(resources::pods, ns, pod, "log") +
                              query({{"timestamps", "true"}, {"container", o.container}, {"sinceTime", since}});
      auto rest = transport_->send({"GET", rest_path, "", ""});
      if (rest.status < 400)
        for (auto& line : split(rest.body, '\n'))
          if (!line.empty() && !deliver(line)) return;
      return;
    }
  }
}

std::string Client::read_log(const std::string& ns, const std::string& pod, const std::string& container, long tail_lines) {
  std::string path = resource_path(resources::pods, ns, pod, "log") +
                     query({{"container", container}, {"tailLines", tail_lines >= 0 ? std::to_string(tail_lines) : ""}});
  auto resp = transport_->send({"GET", path, "", ""});
  if (resp.status >= 400) throw api_error("GET", path, resp.status, resp.body);
  return resp.body;
}

bool Client::can_i(const AccessCheck& c, std::string* reason) {
  json attrs = {{"verb", c.verb}, {"resource", c.resource}};
  if (!c.group.empty()) attrs["group"] = c.group;
  if (!c.subresource.empty()) attrs["subresource"] = c.subresource;
  if (!c.namespace_name.empty()) attrs["namespace"] = c.namespace_name;
  json review = {{"apiVersion", "authorization.k8s.io/v1"}, {"kind", "SelfSubjectAccessReview"},
                 {"spec", {{"resourceAttributes", attrs}}}};
  auto result = request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", &review);
  auto status = result.value("status", json::object());
  if (reason) *reason = status.value("reason", "");
  return status.value("allowed", false);
}

namespace {
// The subject of a PEM client certificate: "CN=admin, O=system:masters".
std::string certificate_subject(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!cert) return "";
  std::string out;
  X509_NAME* subject = X509_get_subject_name(cert.get());
  for (int i = 0; i < X509_NAME_entry_count(subject); ++i) {
    X509_NAME_ENTRY* e = X509_NAME_get_entry(subject, i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
    if (nid != NID_commonName && nid != NID_organizationName) continue;
    unsigned char* text = nullptr;
    int n = ASN1_STRING_to_UTF8(&text, X509_NAME_ENTRY_get_data(e));
    if (n < 0) continue;
    out += (out.empty() ? "" : ", ") + std::string(nid == NID_commonName ? "CN=" : "O=") + std::string(reinterpret_cast<char*>(text), static_cast<size_t>(n));
    OPENSSL_free(text);
  }
  return out;
}
}  // namespace

std::string Client::who_am_i() {
  json review = {{"kind", "SelfSubjectReview"}};
  for (const char* v : {"v1", "v1beta1", "v1alpha1"}) {
    review["apiVersion"] = std::string("authentication.k8s.io/") + v;
    try {
      auto r = request("POST", std::string("/apis/authentication.k8s.io/") + v + "/selfsubjectreviews", &review);
      auto info = r.value("status", json::object()).value("userInfo", json::object());
      std::string groups;
      for (auto& g : info.value("groups", json::array())) groups += (groups.empty() ? "" : ",") + g.get<std::string>();
      return info.value("username", "") + (groups.empty() ? "" : " (groups " + groups + ")");
    } catch (const ApiError& e) {
      if (!e.not_found()) throw;
    }
  }
  // Older servers cannot say; tell what the kubeconfig presents.
  const auto& u = config().user;
  std::string who = "user " + (config().user_name.empty() ? std::string("(none)") : config().user_name);
  if (!u.client_cert_pem.empty()) who += " (client certificate " + certificate_subject(u.client_cert_pem) + ")";
  else if (!u.token.empty() || !u.token_file.empty()) who += " (bearer token)";
  else if (u.exec) who += " (exec plugin " + u.exec->command + ")";
  if (!u.impersonate_user.empty()) who += ", impersonating " + u.impersonate_user;
  return who;
}

}  // namespace kb::kube
