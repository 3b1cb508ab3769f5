// libFuzzer target on the broker's request handling, minus the sockets: inputs are sequences of
// requests ("METHOD PATH\nBODY", separated by lines "---"), routed by the broker's route table,
// parsed by queue/protocol, applied to a Broker on a fake clock. Checked on every input: no crash
// (sanitizers), every refusal is a RequestError, every answer we build is valid JSON, each item is
// answered at most once, and the broker's counts stay consistent. Built and run by run.sh.
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

#include "core/http_router.h"
#include "queue/broker.h"
#include "queue/broker_metrics.h"
#include "queue/protocol.h"

namespace {
using namespace kb;
using namespace kb::queue;
using namespace std::chrono_literals;

void check(bool condition) {
  if (!condition) std::abort();
}

void check_json(const std::string& text) { check(nlohmann::json::accept(text)); }

struct Routes {
  HttpRouter router;
  int submit, lease, complete, heartbeat, release, list, one;
  Routes() {
    submit = router.add("POST", "/v1/queues/{queue}/items");
    lease = router.add("POST", "/v1/queues/{queue}/leases");
    complete = router.add("POST", "/v1/leases/{lease}/complete");
    heartbeat = router.add("POST", "/v1/leases/{lease}/heartbeat");
    release = router.add("POST", "/v1/leases/{lease}/release");
    list = router.add("GET", "/v1/queues");
    one = router.add("GET", "/v1/queues/{queue}");
  }
};

std::string param(const HttpParams& params, const char* name) {
  for (auto& [k, v] : params)
    if (k == name) return v;
  return {};
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Routes routes;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  BrokerConfig config;
  config.queues = {"q", "media"};
  config.create_on_demand = size % 2 == 0;
  config.max_queues = 4;
  config.qmax = 3;
  config.lease = 2s;
  config.max_attempts = 2;
  config.id_key = 1;  // lease ids are then predictable for the fuzzer's dictionary of inputs
  Broker broker(config);
  TimePoint now = TimePoint{} + 1000h;
  std::set<std::uint64_t> answered;
  std::vector<std::uint64_t> leases;
  int requests = 0;

  while (!input.empty() && requests++ < 64) {
    constexpr std::string_view kSeparator = "\n---\n";
    auto end = input.find(kSeparator);
    std::string_view request = input.substr(0, end);
    input = end == std::string_view::npos ? std::string_view{} : input.substr(end + kSeparator.size());
    auto newline = request.find('\n');
    std::string_view line = request.substr(0, newline);
    std::string_view body = newline == std::string_view::npos ? std::string_view{} : request.substr(newline + 1);
    auto space = line.find(' ');
    std::string_view method = line.substr(0, space);
    std::string_view target = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
    auto q = target.find('?');
    std::string_view path = target.substr(0, q);
    if (q != std::string_view::npos) (void)query_param(target.substr(q + 1), "value");

    auto match = routes.router.match(method, path);
    now += 700ms;
    try {
      if (match.route == routes.submit) {
        auto name = param(match.params, "queue");
        check_queue_name(name);
        auto r = parse_submit(body);
        check_json(r.payload);
        auto s = broker.submit(name, r.payload, r.timeout, now, [&answered](ItemResult&& result) {
          check(answered.insert(result.id).second);  // one answer per item, ever
          check_json(item_answer(result).body);
        });
        check_json(error_json(status_code(s.status), status_message(s.status, name, 3), s.id));
      } else if (match.route == routes.lease) {
        auto name = param(match.params, "queue");
        check_queue_name(name);
        auto r = parse_lease(body);
        std::vector<CompletionOutcome> outcomes;
        for (auto& c : r.complete) {
          auto done = broker.complete(c.lease, c.ok, c.result, c.error, now);
          outcomes.push_back({c.lease_text, done.status, done.delivered});
        }
        auto leased = broker.lease(name, r.worker.value_or("w"), r.max_items, r.lease, r.wait, now,
                                   [outcomes, &leases](Status, std::vector<LeasedItem>&& items) {
                                     for (auto& i : items) leases.push_back(i.lease);
                                     check_json(leased_json(items, outcomes));
                                   });
        for (auto& i : leased.items) leases.push_back(i.lease);
        check_json(leased_json(leased.items, outcomes));
      } else if (match.route == routes.complete) {
        auto c = parse_complete(param(match.params, "lease"), body);
        // Half the time, complete a lease that really exists.
        if (!leases.empty() && (c.lease & 1)) c.lease = leases[c.lease % leases.size()];
        auto done = broker.complete(c.lease, c.ok, c.result, c.error, now);
        check_json(completion_json({c.lease_text, done.status, done.delivered}));
      } else if (match.route == routes.heartbeat) {
        auto lease = parse_lease_id(param(match.params, "lease"));
        auto r = parse_heartbeat(body);
        if (!leases.empty()) lease = leases[lease % leases.size()];
        broker.heartbeat(lease, r.lease, now);
      } else if (match.route == routes.release) {
        auto lease = parse_lease_id(param(match.params, "lease"));
        parse_release(body);
        if (!leases.empty()) broker.release(leases[lease % leases.size()], now);
      } else if (match.route == routes.list) {
        check_json(queues_json(broker.stats(now), broker.draining()));
      } else if (match.route == routes.one) {
        if (auto s = broker.stats(param(match.params, "queue"), now)) check_json(queue_json(*s));
      } else if (method == "DRAIN") {
        broker.start_drain();
      } else if (method == "GONE" && !answered.empty()) {
        broker.client_gone(*answered.begin(), now);
      }
    } catch (const RequestError& e) {
      check(e.http_status() >= 400 && e.http_status() < 500);
      check_json(error_json(e.code(), e.what()));
    }
    broker.tick(now);
    std::size_t held = 0;
    for (auto& s : broker.stats(now)) held += s.waiting + s.leased;
    check(held <= broker.items());  // abandoned leased items are counted in items() only
  }
  BrokerMetrics m;
  m.queues = broker.stats(now);
  (void)metrics_text(m);
  broker.shut_down();
  check(broker.items() == 0);
  return 0;
}
