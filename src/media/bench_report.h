// A benchmark result (kubench/bench/v1) as a Report (core/report.h): what `kubench report DIR`
// shows for a `kubench bench` results directory.
#pragma once
#include "core/report.h"
#include "media/results.h"

namespace kb::media {

Report bench_report(const BenchResult& r);

}  // namespace kb::media
