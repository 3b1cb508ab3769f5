#include "core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace kb {
void setup_logging(int verbosity) {
  auto logger = spdlog::stderr_color_mt("kubench");
  logger->set_pattern("kubench: %^%l%$: %v");
  logger->set_level(verbosity >= 2 ? spdlog::level::debug : verbosity == 1 ? spdlog::level::info : spdlog::level::warn);
  spdlog::set_default_logger(logger);
}
}  // namespace kb
