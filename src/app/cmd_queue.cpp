// `kubench queue serve | work | load`: the scalability tester (docs/queue.md). This file only
// groups the subcommands; each one is its own cmd_queue_*.cpp, declared in queue_commands.h.
#include "app/queue_commands.h"

namespace kb::app {

void add_queue_command(CLI::App& app, GlobalOptions& global) {
  auto* queue = app.add_subcommand("queue", "Work queues for scalability tests: the broker, workers and a load client");
  queue->require_subcommand(1);
  queue->footer("Protocol and metrics: docs/queue.md");
  add_queue_serve(*queue, global);
  add_queue_work(*queue, global);
  add_queue_load(*queue, global);
}

}  // namespace kb::app
