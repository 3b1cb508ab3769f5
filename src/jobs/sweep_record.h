// The sweep directory: the expanded plan, one result file per variant written the moment it
// finishes, and the summary (`sweep.json`, kubench/sweep-result/v1, and `results.csv`). A crash
// loses only the variants in flight; `--resume` runs what has no result. docs/sweep.md#directory
#pragma once
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "jobs/sweep_suite.h"

namespace kb::jobs {

inline constexpr const char* kSweepPlanSchema = "kubench/sweep-plan/v1";
inline constexpr const char* kSweepVariantSchema = "kubench/sweep-variant/v1";
inline constexpr const char* kSweepResultSchema = "kubench/sweep-result/v1";

struct SweepPlan {
  std::string sweep_id;
  std::string name;
  std::string suite_file;     // absolute: --resume reads it again (and checks it still expands the same)
  std::string workload_kind;
  std::string created;        // RFC 3339
  std::vector<SweepVariant> variants;  // index = position
};

struct VariantRecord {
  size_t index = 0;
  std::string id, target;
  std::map<std::string, std::string> params;
  int repeat = 0;
  std::string context, node, gpu_product, gpu_driver, sharing;  // "" where unknown
  std::string status;          // succeeded | failed
  std::string failure_class;   // "" when succeeded: no-results, oom-killed, …
  std::string message;
  int attempts = 1;
  std::string started, finished;  // RFC 3339: the workload ran from, to
  double duration_s = 0;          // created → result in hand, last attempt
  double queued_s = 0;            // sweep start → first admitted
  std::string wait_reason;        // why it waited first ("target a100: 0 of 4 nvidia.com/gpu free"), "" if it did not
  std::map<std::string, double> metrics;  // flattened numbers of the result
  nlohmann::json result;          // as the workload gave it (null: none)
  std::vector<std::string> log;   // last lines of the workload's log
};

nlohmann::json to_json(const SweepPlan& p);
SweepPlan sweep_plan_from_json(const nlohmann::json& j);  // ParseError
nlohmann::json to_json(const VariantRecord& r);
VariantRecord variant_record_from_json(const nlohmann::json& j);  // ParseError

// The numbers of a result, flattened: a bench result gives "<test>.fps", "<test>.speed",
// "<test>.watts", "<test>.fps_per_watt", "<test>.max_realtime_streams"; any other JSON object
// gives its numeric leaves by dotted path ("latency.p50_ms", "runs.0.fps").
std::map<std::string, double> sweep_metrics(const nlohmann::json& result);

// The variants a run works on: those without a result (and, with `rerun_failed`, the failed ones).
std::vector<size_t> variants_to_run(const SweepPlan& plan, const std::map<size_t, VariantRecord>& results, bool rerun_failed);

class SweepDirectory {
 public:
  explicit SweepDirectory(std::filesystem::path dir);
  const std::filesystem::path& path() const { return dir_; }

  // A new sweep: writes plan.json and a copy of the suite. Refuses a directory that already holds
  // a sweep (EnvironmentError pointing to --resume).
  void create(const SweepPlan& plan, const std::string& suite_text);
  SweepPlan load_plan() const;  // EnvironmentError when DIR holds no sweep

  void write_variant(const VariantRecord& r);                // variants/NNNN.json, atomically
  std::map<size_t, VariantRecord> read_variants() const;     // by index; a damaged file is an error naming it
  // sweep.json and results.csv from the plan and every result so far.
  void write_summary(const SweepPlan& plan, const std::map<size_t, VariantRecord>& results) const;

 private:
  std::filesystem::path dir_;
};

// A sweep about to run: its suite, its plan, and which variants this run works on.
struct OpenedSweep {
  SweepSuite suite;
  std::string suite_text;
  SweepPlan plan;
  std::vector<size_t> to_run;
  bool resumed = false;
};

// A new sweep from a suite file (nothing written yet: SweepDirectory::create after preflight).
OpenedSweep open_new_sweep(const std::filesystem::path& suite_path, const std::string& sweep_id);
// A sweep to continue: the suite as it was when the sweep started (the copy in DIR, its inputs
// read from where the original lives), the variants without a result (with `rerun_failed`, also
// the failed ones).
OpenedSweep open_resumed_sweep(const SweepDirectory& dir, bool rerun_failed);

// sweep.json's document and results.csv's table (one row per variant, metrics as columns).
nlohmann::json sweep_summary(const SweepPlan& plan, const std::map<size_t, VariantRecord>& results);
std::string sweep_results_csv(const SweepPlan& plan, const std::map<size_t, VariantRecord>& results);

}  // namespace kb::jobs
