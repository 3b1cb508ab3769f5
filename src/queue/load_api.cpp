#include "queue/load_api.h"

#include "core/error.h"
#include "core/http_server.h"
#include "core/text.h"
#include "queue/load_client.h"
#include "queue/load_page.h"
#include "queue/load_stats.h"

namespace kb::queue {

using nlohmann::json;

namespace {
HttpReply json_response(const json& doc) {
  return HttpReply{200, doc.dump(-1, ' ', false, json::error_handler_t::replace) + "\n", "application/json", {}};
}

// Browsers send Origin with cross-site POST/PUT; curl and scripts do not.
bool foreign_origin(const HttpRequest& req) {
  auto origin = req.header("Origin");
  if (origin.empty()) return false;
  return origin != "http://" + std::string(req.header("Host"));
}

std::optional<long long> parallelism_from(const std::string& body) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_object() && doc.contains("parallelism")) doc = doc["parallelism"];
  if (doc.is_number_integer()) return doc.get<long long>();
  return std::nullopt;
}
}  // namespace

LoadApi::LoadApi(LoadClient& client, LoadStats& stats, const ListenAddress& listen) {
  HttpServerOptions o;
  o.address = listen.host;
  o.port = listen.port;
  o.body_limit = 4096;
  o.read_timeout = std::chrono::seconds(30);
  server_ = std::make_unique<HttpServer>(o);
  auto& s = *server_;
  LoadClient* c = &client;
  LoadStats* st = &stats;

  s.route("GET", "/", [c](const HttpExchange& ex) {
    HttpReply r{200, render_load_page(c->stats_document()), "text/html; charset=utf-8", {}};
    r.headers.emplace_back("Content-Security-Policy", kLoadPagePolicy);
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    ex.respond(std::move(r));
  });
  s.route("GET", "/stats", [c](const HttpExchange& ex) { ex.respond(json_response(c->stats_document())); });
  s.route("GET", "/rate", [c](const HttpExchange& ex) {
    auto doc = c->stats_document();
    ex.respond(json_response({{"window_s", doc["rate"]["window_s"]},
                              {"ok_per_s", doc["rate"]["ok_per_s"]},
                              {"since_reset_ok_per_s", doc["rate"]["since_reset_ok_per_s"]}}));
  });
  s.route("POST", "/reset", [st](const HttpExchange& ex) {
    if (foreign_origin(ex.request())) return ex.respond(json_error_response(403, "forbidden", "cross-origin request refused"));
    st->reset();
    ex.respond(json_response({{"reset", true}}));
  });
  s.route("GET", "/parallelism", [c](const HttpExchange& ex) {
    ex.respond(json_response({{"parallelism", c->parallelism()}, {"max", c->max_parallelism()}}));
  });
  s.route("PUT", "/parallelism", [c](const HttpExchange& ex) {
    if (foreign_origin(ex.request())) return ex.respond(json_error_response(403, "forbidden", "cross-origin request refused"));
    auto k = parallelism_from(ex.request().body);
    if (!k || *k < 0 || *k > c->max_parallelism())
      return ex.respond(json_error_response(400, "invalid_field",
                                            "parallelism must be an integer 0.." + std::to_string(c->max_parallelism()) +
                                                ", sent as N or {\"parallelism\": N}"));
    c->set_parallelism(static_cast<int>(*k));
    ex.respond(json_response({{"parallelism", c->parallelism()}, {"max", c->max_parallelism()}}));
  });
}

LoadApi::~LoadApi() { stop(); }

void LoadApi::start() {
  server_->listen();
  server_->start();
}

std::string LoadApi::address() const { return server_->address(); }

void LoadApi::stop() {
  if (server_) server_->stop(std::chrono::milliseconds(500));
}

}  // namespace kb::queue
