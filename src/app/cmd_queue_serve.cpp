// `kubench queue serve`: the work-queue broker (docs/queue.md). Flags, then queue::BrokerApi on a
// core HttpServer; SIGTERM drains.
#include <poll.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "app/queue_commands.h"
#include "core/error.h"
#include "core/http_server.h"
#include "core/interrupt.h"
#include "queue/broker_api.h"

namespace kb::app {

namespace {
struct ServeFlags {
  std::string listen = "127.0.0.1:8080";
  std::vector<std::string> queues;
  bool create_on_demand = false;
  std::size_t qmax = 0;
  double lease_seconds = 30;
  int max_attempts = 3;
  std::uint64_t max_body = 1 << 20;
  std::string token_file, worker_token_file;
  int threads = 1;
  double drain_seconds = 30;
  double read_timeout = 60;
};

std::chrono::steady_clock::duration seconds_flag(double s, const char* flag) {
  if (!(s > 0) || !std::isfinite(s) || s > 86400 * 365) throw UsageError(std::string(flag) + " must be a positive number of seconds");
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

// Until SIGTERM/SIGINT: the signal handler only writes the self-pipe.
void wait_for_signal() {
  pollfd fd{interrupt_fd(), POLLIN, 0};
  while (!interrupted()) ::poll(&fd, 1, -1);
}

void serve(const ServeFlags& f) {
  if (f.queues.empty() && !f.create_on_demand)
    throw UsageError("no queues: name at least one with --queue NAME, or pass --create-on-demand");
  if (f.max_attempts < 1) throw UsageError("--max-attempts must be at least 1");
  if (f.threads < 1 || f.threads > 64) throw UsageError("--threads must be 1 to 64");
  if (f.max_body < 1024) throw UsageError("--max-body must be at least 1024 bytes");

  queue::BrokerConfig config;
  config.queues = f.queues;
  config.create_on_demand = f.create_on_demand;
  config.qmax = f.qmax;
  config.lease = seconds_flag(f.lease_seconds, "--lease-seconds");
  config.max_attempts = f.max_attempts;
  queue::AccessTokens tokens;
  if (!f.token_file.empty()) tokens.client = queue::read_token_file(f.token_file);
  if (!f.worker_token_file.empty()) tokens.worker = queue::read_token_file(f.worker_token_file);
  const auto drain = seconds_flag(f.drain_seconds, "--drain-seconds");

  HttpServerOptions options;
  const auto listen = parse_listen_address(f.listen);
  options.address = listen.host;
  options.port = listen.port;
  options.threads = f.threads;
  options.body_limit = f.max_body;
  options.read_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(seconds_flag(f.read_timeout, "--read-timeout"));

  HttpServer server(options);
  queue::BrokerApi api(server, config, tokens);  // after the server: destroyed first
  server.listen();
  server.start();
  std::fprintf(stderr, "kubench: listening on %s\n", server.address().c_str());

  wait_for_signal();
  std::fprintf(stderr, "kubench: draining: no new items; waiting up to %g s for accepted ones\n", f.drain_seconds);
  api.start_drain();
  const bool idle = api.wait_idle(std::chrono::steady_clock::now() + drain);
  if (!idle) std::fprintf(stderr, "kubench: drain time over: answering the items left with 503\n");
  api.shut_down();
  server.stop();
  std::fprintf(stderr, "kubench: stopped\n");
  // A drain is this command's normal end: exit 0, not 130.
  clear_interrupt();
}
}  // namespace

void add_queue_serve(CLI::App& queue, GlobalOptions& global) {
  auto f = std::make_shared<ServeFlags>();
  auto* cmd = queue.add_subcommand("serve", "Run the work-queue broker: clients submit and wait, workers lease and complete");
  cmd->add_option("--listen", f->listen, "Address to listen on, HOST:PORT (default 127.0.0.1:8080; 0.0.0.0:8080 in a pod; port 0: any)");
  cmd->add_option("--queue", f->queues, "A queue to serve (repeat for more)");
  cmd->add_flag("--create-on-demand", f->create_on_demand, "Create a queue the first time a client or worker names it");
  cmd->add_option("--qmax", f->qmax, "Most waiting items per queue; more submits get 429 (default 0: unbounded)");
  cmd->add_option("--lease-seconds", f->lease_seconds, "Lease duration: an item not completed or heartbeated in time is retried (default 30)");
  cmd->add_option("--max-attempts", f->max_attempts, "Leases an item may have before an expiry fails it (default 3)");
  cmd->add_option("--max-body", f->max_body, "Largest request body in bytes; larger gets 413 (default 1048576)");
  cmd->add_option("--token-file", f->token_file, "Require this bearer token from clients (and workers, without --worker-token-file)");
  cmd->add_option("--worker-token-file", f->worker_token_file, "Require this bearer token from workers");
  cmd->add_option("--threads", f->threads, "I/O threads (default 1)");
  cmd->add_option("--drain-seconds", f->drain_seconds, "On SIGTERM, how long accepted items may take to finish (default 30)");
  cmd->add_option("--read-timeout", f->read_timeout, "Seconds a request may take to arrive; also the keep-alive idle time (default 60)");
  cmd->footer("Examples:\n  kubench queue serve --queue sleep\n"
              "  kubench queue serve --listen 0.0.0.0:8080 --queue sleep --queue media --qmax 1000 --token-file /run/secrets/token\n"
              "  curl -X POST localhost:8080/v1/queues/sleep/items -d '{\"payload\":{\"seconds\":0}}'\n"
              "Protocol, metrics and drain: docs/queue.md");
  cmd->callback([f, &global] {
    start_command(global);
    serve(*f);
  });
}

}  // namespace kb::app
