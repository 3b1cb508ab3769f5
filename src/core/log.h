// Logging to stderr (data goes to stdout). Thin setup over spdlog.
#pragma once
#include <spdlog/spdlog.h>

namespace kb {
// verbosity: 0 = warnings and errors, 1 = info, 2+ = debug.
void setup_logging(int verbosity);
}  // namespace kb
