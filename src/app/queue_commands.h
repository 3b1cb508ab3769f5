// `kubench queue ...`: each subcommand lives in its own cmd_queue_*.cpp and is added to the
// `queue` command by cmd_queue.cpp. The worker (`work`) and the load client (`load`) add theirs
// here the same way.
#pragma once
#include "app/commands.h"

namespace kb::app {

void add_queue_serve(CLI::App& queue, GlobalOptions& global);  // cmd_queue_serve.cpp: the broker
void add_queue_work(CLI::App& queue, GlobalOptions& global);   // cmd_queue_work.cpp: the worker
void add_queue_load(CLI::App& queue, GlobalOptions& global);   // cmd_queue_load.cpp: the load client

}  // namespace kb::app
