// Live VRAM use from a Prometheus that scrapes NVIDIA's DCGM exporter: DCGM_FI_DEV_FB_USED (MiB)
// by pod. The exporter reports a GPU's memory, labelled with the pod holding it; a GPU that several
// pods share (time-slicing, MPS) shows its whole use under each, which cannot be split, so those
// pods are left to the next source and a note says so. Never fatal: an unreachable Prometheus or a
// bad answer becomes a note and the budget falls back.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "share/vram_budget.h"

namespace kb::share {

// The instant query's answer (Prometheus' /api/v1/query JSON) into `sources`.
void read_dcgm_answer(const nlohmann::json& answer, VramSources& sources);

// Queries `prometheus_url` (http://host:9090, optionally with a path prefix) and reads the answer.
void query_live_vram(const std::string& prometheus_url, VramSources& sources);

}  // namespace kb::share
