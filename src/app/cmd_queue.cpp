// `kubench queue serve | work | load` (being written).
#include "app/commands.h"

namespace kb::app {
void add_queue_command(CLI::App&, GlobalOptions&) {}
}  // namespace kb::app
