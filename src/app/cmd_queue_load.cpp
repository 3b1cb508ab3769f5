// `kubench queue load`: the load client. Keeps K requests in flight against a queue, serves its
// statistics and controls over HTTP, and prints a summary at exit (docs/queue-work-load.md).
#include <signal.h>
#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "app/queue_commands.h"
#include "core/duration.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "core/output.h"
#include "queue/load_api.h"
#include "queue/load_client.h"
#include "queue/load_stats.h"
#include "queue/load_summary.h"

namespace kb::app {

namespace {

struct LoadFlags {
  std::string broker = "127.0.0.1:8080";
  std::string queue = "sleep";
  int parallelism = 1;
  int max_parallelism = 1024;
  std::optional<double> sleep;
  std::string payload;
  double timeout = 30;
  double duration = 0;
  long long requests = 0;
  std::string listen = "127.0.0.1:9096";
  bool no_api = false;
  std::string token_file;
  std::string output = "table";
};

// One socket per lane: make sure --max-parallelism of them fit under the descriptor limit.
void raise_descriptor_limit(int lanes) {
  struct rlimit r {};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return;
  rlim_t want = static_cast<rlim_t>(lanes) + 64;
  if (r.rlim_cur >= want) return;
  r.rlim_cur = std::min(want, r.rlim_max);
  ::setrlimit(RLIMIT_NOFILE, &r);
}

void run(const LoadFlags& f) {
  auto format = parse_output_format(f.output, {OutputFormat::table, OutputFormat::json});
  queue::LoadOptions o;
  o.broker = queue::parse_broker_url(f.broker);
  o.queue = f.queue;
  if (f.sleep && !f.payload.empty()) throw UsageError("give --sleep or --payload, not both");
  if (f.sleep) {
    if (*f.sleep < 0) throw UsageError("--sleep must not be negative");
    o.payload = {{"seconds", *f.sleep}};
  } else if (!f.payload.empty()) {
    o.payload = nlohmann::json::parse(f.payload, nullptr, false);
    if (o.payload.is_discarded()) throw UsageError("--payload is not valid JSON: " + f.payload);
  }
  o.parallelism = f.parallelism;
  o.max_parallelism = f.max_parallelism;
  if (f.timeout <= 0 || f.duration < 0 || f.requests < 0) throw UsageError("--timeout must be positive; --duration and --requests not negative");
  o.timeout = milliseconds_from_seconds(f.timeout);
  if (f.duration > 0) o.duration = milliseconds_from_seconds(f.duration);
  if (f.requests > 0) o.requests = static_cast<std::uint64_t>(f.requests);
  if (!f.token_file.empty()) o.token = queue::read_token_file(f.token_file);

  raise_descriptor_limit(o.max_parallelism);
  boost::asio::io_context io;
  queue::LoadStats stats;
  queue::LoadClient client(io, o, stats);
  std::unique_ptr<queue::LoadApi> api;
  if (!f.no_api) {
    api = std::make_unique<queue::LoadApi>(client, stats, parse_listen_address(f.listen));
    api->start();
    std::fprintf(stderr, "kubench: load API listening on %s\n", api->address().c_str());
  }
  {
    // SIGTERM/SIGINT end the run normally: the summary is printed and the exit code is 0.
    boost::asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
      if (!ec) client.stop();
    });
    client.on_finished([&] {
      signals.cancel();
      io.stop();
    });
    stats.reset();
    client.start();
    if (interrupted()) {
      clear_interrupt();
      client.stop();
    }
    io.run();
  }
  install_interrupt_handlers();  // the signal set left SIGTERM/SIGINT at their default action
  auto doc = client.stats_document();
  if (api) api->stop();
  if (format == OutputFormat::json) std::cout << doc.dump(2) << "\n";
  else std::cout << queue::load_summary_text(doc);
}

}  // namespace

void add_queue_load(CLI::App& queue_cmd, GlobalOptions& global) {
  auto f = std::make_shared<LoadFlags>();
  auto* cmd = queue_cmd.add_subcommand("load", "Keep K requests in flight against a queue and measure the answers (the client)");
  cmd->footer(
      "Examples:\n"
      "  kubench queue load --queue sleep --sleep 0.5 -c 8 --duration 60\n"
      "  kubench queue load --queue media --payload '{\"test\":\"h264_1080p\"}' -c 4 --listen 0.0.0.0:9096\n"
      "  curl -X PUT -d 16 127.0.0.1:9096/parallelism ; curl 127.0.0.1:9096/stats ; curl -X POST 127.0.0.1:9096/reset\n"
      "Runs until --duration, --requests or SIGTERM; then prints the summary (exit 0).");
  cmd->add_option("--broker", f->broker, "Broker address HOST:PORT or http://HOST:PORT")->envname("KUBENCH_BROKER")->capture_default_str();
  cmd->add_option("--queue", f->queue, "Queue to submit to")->capture_default_str();
  cmd->add_option("-c,--parallelism", f->parallelism, "Requests in flight at start (change later with PUT /parallelism)")->capture_default_str();
  cmd->add_option("--max-parallelism", f->max_parallelism, "Upper bound for the parallelism")->capture_default_str();
  cmd->add_option("--sleep", f->sleep, "Payload {\"seconds\": S} for the sleep workload");
  cmd->add_option("--payload", f->payload, "Payload as JSON, sent in every request");
  cmd->add_option("--timeout", f->timeout, "Seconds the broker waits for each item's result")->capture_default_str();
  cmd->add_option("--duration", f->duration, "Stop after this many seconds (0: until SIGTERM or --requests)");
  cmd->add_option("--requests", f->requests, "Stop after this many answers");
  cmd->add_option("--listen", f->listen, "Address of the stats/control API (port 0: any free port)")->capture_default_str();
  cmd->add_flag("--no-api", f->no_api, "Serve no HTTP API");
  cmd->add_option("--token-file", f->token_file, "File with the broker's client token");
  cmd->add_option("-o,--output", f->output, "Summary at exit: table or json")->capture_default_str();
  cmd->callback([f, &global] {
    start_command(global);
    run(*f);
  });
}

}  // namespace kb::app
