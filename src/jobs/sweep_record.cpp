#include "jobs/sweep_record.h"

#include <cstdio>
#include <set>

#include "core/error.h"
#include "core/files.h"
#include "core/output.h"
#include "core/text.h"
#include "core/utc_time.h"

namespace kb::jobs {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string variant_file_name(size_t index) {
  char name[32];
  std::snprintf(name, sizeof name, "%04zu.json", index);
  return name;
}

void flatten(const json& v, const std::string& path, std::map<std::string, double>& out) {
  if (v.is_number()) out[path] = v.get<double>();
  else if (v.is_boolean()) return;
  else if (v.is_object())
    for (const auto& [k, item] : v.items()) flatten(item, path.empty() ? k : path + "." + k, out);
  else if (v.is_array())
    for (size_t i = 0; i < v.size(); ++i) flatten(v[i], path + "." + std::to_string(i), out);
}

void put_number(std::map<std::string, double>& out, const std::string& key, const json& v) {
  if (v.is_number()) out[key] = v.get<double>();
}

std::string format_number(double v) {
  char text[64];
  std::snprintf(text, sizeof text, "%.10g", v);
  return text;
}

}  // namespace

json to_json(const SweepPlan& p) {
  json variants = json::array();
  for (size_t i = 0; i < p.variants.size(); ++i) {
    const auto& v = p.variants[i];
    variants.push_back({{"index", i}, {"id", v.id}, {"params", v.params}, {"target", v.target}, {"repeat", v.repeat}});
  }
  return {{"schema", kSweepPlanSchema}, {"sweep_id", p.sweep_id},           {"name", p.name},         {"suite", p.suite_file},
          {"workload", p.workload_kind}, {"created", p.created},           {"variants", variants}};
}

SweepPlan sweep_plan_from_json(const json& j) {
  try {
    if (j.value("schema", "") != kSweepPlanSchema) throw ParseError("not a " + std::string(kSweepPlanSchema) + " document");
    SweepPlan p;
    p.sweep_id = j.at("sweep_id").get<std::string>();
    p.name = j.value("name", "");
    p.suite_file = j.at("suite").get<std::string>();
    p.workload_kind = j.value("workload", "");
    p.created = j.value("created", "");
    for (const auto& v : j.at("variants")) {
      SweepVariant variant;
      variant.id = v.at("id").get<std::string>();
      variant.params = v.value("params", std::map<std::string, std::string>{});
      variant.target = v.at("target").get<std::string>();
      variant.repeat = v.value("repeat", 0);
      p.variants.push_back(std::move(variant));
    }
    return p;
  } catch (const json::exception& e) {
    throw ParseError(std::string("sweep plan: ") + e.what());
  }
}

json to_json(const VariantRecord& r) {
  return {{"schema", kSweepVariantSchema},
          {"index", r.index},
          {"id", r.id},
          {"params", r.params},
          {"target", r.target},
          {"repeat", r.repeat},
          {"context", r.context},
          {"node", r.node},
          {"gpu_product", r.gpu_product},
          {"gpu_driver", r.gpu_driver},
          {"sharing", r.sharing},
          {"status", r.status},
          {"failure_class", r.failure_class},
          {"message", r.message},
          {"attempts", r.attempts},
          {"started", r.started},
          {"finished", r.finished},
          {"duration_s", r.duration_s},
          {"queued_s", r.queued_s},
          {"wait_reason", r.wait_reason},
          {"metrics", r.metrics},
          {"result", r.result},
          {"log", r.log}};
}

VariantRecord variant_record_from_json(const json& j) {
  try {
    if (j.value("schema", "") != kSweepVariantSchema) throw ParseError("not a " + std::string(kSweepVariantSchema) + " document");
    VariantRecord r;
    r.index = j.at("index").get<size_t>();
    r.id = j.at("id").get<std::string>();
    r.params = j.value("params", std::map<std::string, std::string>{});
    r.target = j.value("target", "");
    r.repeat = j.value("repeat", 0);
    r.context = j.value("context", "");
    r.node = j.value("node", "");
    r.gpu_product = j.value("gpu_product", "");
    r.gpu_driver = j.value("gpu_driver", "");
    r.sharing = j.value("sharing", "");
    r.status = j.at("status").get<std::string>();
    r.failure_class = j.value("failure_class", "");
    r.message = j.value("message", "");
    r.attempts = j.value("attempts", 1);
    r.started = j.value("started", "");
    r.finished = j.value("finished", "");
    r.duration_s = j.value("duration_s", 0.0);
    r.queued_s = j.value("queued_s", 0.0);
    r.wait_reason = j.value("wait_reason", "");
    r.metrics = j.value("metrics", std::map<std::string, double>{});
    r.result = j.value("result", json());
    r.log = j.value("log", std::vector<std::string>{});
    return r;
  } catch (const json::exception& e) {
    throw ParseError(std::string("variant result: ") + e.what());
  }
}

std::map<std::string, double> sweep_metrics(const json& result) {
  std::map<std::string, double> out;
  if (!result.is_object()) return out;
  if (result.value("schema", "") == "kubench/bench/v1") {
    for (const auto& t : result.value("tests", json::array())) {
      const auto id = t.value("test_id", "");
      if (t.value("status", "") != "ok") continue;
      put_number(out, id + ".fps", t.value("fps", json()));
      put_number(out, id + ".speed", t.value("speed", json()));
      put_number(out, id + ".watts", t.value("power", json::object()).value("avg_watts", json()));
      put_number(out, id + ".fps_per_watt", t.value("fps_per_watt", json()));
    }
    for (const auto& c : result.value("concurrency", json::array()))
      put_number(out, c.value("test_id", "") + ".max_realtime_streams", c.value("max_realtime_streams", json()));
    return out;
  }
  if (result.value("schema", "") == "kubench/infer/v1") {
    // The figures that compare variants; the settings (batch, threads) are the variant's parameters.
    const auto latency = result.value("latency_ms", json::object());
    for (const char* p : {"mean", "p50", "p90", "p99", "p99.9"}) put_number(out, std::string("latency_") + p + "_ms", latency.value(p, json()));
    put_number(out, "first_inference_latency_ms", result.value("cold_ms", json()));
    put_number(out, "samples_per_s", result.value("samples_per_s", json()));
    put_number(out, "peak_memory_bytes", result.value("peak_rss_bytes", json()));
    out["valid"] = result.value("validity", json::object()).value("valid", false) ? 1 : 0;
    return out;
  }
  flatten(result, "", out);
  return out;
}

std::vector<size_t> variants_to_run(const SweepPlan& plan, const std::map<size_t, VariantRecord>& results, bool rerun_failed) {
  std::vector<size_t> out;
  for (size_t i = 0; i < plan.variants.size(); ++i) {
    auto it = results.find(i);
    if (it == results.end() || (rerun_failed && it->second.status != "succeeded")) out.push_back(i);
  }
  return out;
}

SweepDirectory::SweepDirectory(fs::path dir) : dir_(std::move(dir)) {}

void SweepDirectory::create(const SweepPlan& plan, const std::string& suite_text) {
  std::error_code ec;
  if (fs::exists(dir_ / "plan.json", ec))
    throw EnvironmentError(dir_.string() + " already holds a sweep; continue it with --resume " + dir_.string() + " or pick another --out");
  ensure_writable_dir(dir_ / "variants");
  write_file_atomic(dir_ / "suite.yaml", suite_text);
  write_file_atomic(dir_ / "plan.json", to_json(plan).dump(2, ' ', false, json::error_handler_t::replace) + "\n");
}

SweepPlan SweepDirectory::load_plan() const {
  std::error_code ec;
  if (!fs::is_regular_file(dir_ / "plan.json", ec)) throw EnvironmentError(dir_.string() + " holds no sweep (no plan.json)");
  try {
    return sweep_plan_from_json(json::parse(read_file(dir_ / "plan.json")));
  } catch (const json::exception& e) {
    throw ParseError((dir_ / "plan.json").string() + ": " + e.what());
  } catch (const ParseError& e) {
    throw ParseError((dir_ / "plan.json").string() + ": " + e.what());
  }
}

void SweepDirectory::write_variant(const VariantRecord& r) {
  write_file_atomic(dir_ / "variants" / variant_file_name(r.index), to_json(r).dump(2, ' ', false, json::error_handler_t::replace) + "\n");
}

std::map<size_t, VariantRecord> SweepDirectory::read_variants() const {
  std::map<size_t, VariantRecord> out;
  std::error_code ec;
  if (!fs::is_directory(dir_ / "variants", ec)) return out;
  for (const auto& entry : fs::directory_iterator(dir_ / "variants")) {
    if (entry.path().extension() != ".json") continue;  // a crash's leftover temporary file
    try {
      auto r = variant_record_from_json(json::parse(read_file(entry.path())));
      out[r.index] = std::move(r);
    } catch (const std::exception& e) {
      throw ParseError(entry.path().string() + ": " + e.what() + " (delete it to run that variant again)");
    }
  }
  return out;
}

json sweep_summary(const SweepPlan& plan, const std::map<size_t, VariantRecord>& results) {
  json variants = json::array();
  int succeeded = 0, failed = 0;
  for (const auto& [index, r] : results) {
    (r.status == "succeeded" ? succeeded : failed)++;
    auto j = to_json(r);
    j.erase("schema");
    variants.push_back(std::move(j));
  }
  return {{"schema", kSweepResultSchema},
          {"sweep_id", plan.sweep_id},
          {"name", plan.name},
          {"suite", plan.suite_file},
          {"workload", plan.workload_kind},
          {"created", plan.created},
          {"updated", utc_rfc3339()},
          {"counts",
           {{"variants", plan.variants.size()},
            {"succeeded", succeeded},
            {"failed", failed},
            {"not_run", plan.variants.size() - results.size()}}},
          {"variants", variants}};
}

std::string sweep_results_csv(const SweepPlan& plan, const std::map<size_t, VariantRecord>& results) {
  std::set<std::string> params, metrics;
  for (const auto& v : plan.variants)
    for (const auto& [k, val] : v.params) params.insert(k);
  for (const auto& [i, r] : results)
    for (const auto& [k, val] : r.metrics) metrics.insert(k);
  Table t;
  t.headers = {"index", "id", "target", "repeat"};
  t.headers.insert(t.headers.end(), params.begin(), params.end());
  for (const char* h : {"context", "node", "gpu_product", "sharing", "status", "failure_class", "attempts", "duration_s"}) t.headers.push_back(h);
  // A metric named like a column before it is "result.<name>".
  const std::set<std::string> taken(t.headers.begin(), t.headers.end());
  for (const auto& m : metrics) t.headers.push_back(taken.count(m) ? "result." + m : m);
  for (size_t i = 0; i < plan.variants.size(); ++i) {
    const auto& v = plan.variants[i];
    auto it = results.find(i);
    std::vector<std::string> row = {std::to_string(i), v.id, v.target, std::to_string(v.repeat)};
    for (const auto& p : params) row.push_back(v.params.count(p) ? v.params.at(p) : "");
    if (it == results.end()) {
      row.insert(row.end(), {"", "", "", "", "not-run", "", "0", ""});
      row.resize(t.headers.size());
    } else {
      const auto& r = it->second;
      row.insert(row.end(), {r.context, r.node, r.gpu_product, r.sharing, r.status, r.failure_class, std::to_string(r.attempts), format_number(r.duration_s)});
      for (const auto& m : metrics) row.push_back(r.metrics.count(m) ? format_number(r.metrics.at(m)) : "");
    }
    t.rows.push_back(std::move(row));
  }
  return t.to_csv();
}

void SweepDirectory::write_summary(const SweepPlan& plan, const std::map<size_t, VariantRecord>& results) const {
  write_file_atomic(dir_ / "sweep.json", sweep_summary(plan, results).dump(2, ' ', false, json::error_handler_t::replace) + "\n");
  write_file_atomic(dir_ / "results.csv", sweep_results_csv(plan, results));
}

OpenedSweep open_new_sweep(const fs::path& suite_path, const std::string& sweep_id) {
  OpenedSweep out;
  out.suite = load_sweep_suite(suite_path);
  out.suite_text = read_file(suite_path);
  out.plan.sweep_id = sweep_id;
  out.plan.name = out.suite.name;
  out.plan.suite_file = fs::absolute(suite_path).lexically_normal().string();
  out.plan.workload_kind = out.suite.workload_kind;
  out.plan.created = utc_rfc3339();
  out.plan.variants = expand_sweep(out.suite);
  for (size_t i = 0; i < out.plan.variants.size(); ++i) out.to_run.push_back(i);
  return out;
}

OpenedSweep open_resumed_sweep(const SweepDirectory& dir, bool rerun_failed) {
  OpenedSweep out;
  out.resumed = true;
  out.plan = dir.load_plan();
  out.suite_text = read_file(dir.path() / "suite.yaml");
  out.suite = parse_sweep_suite(out.suite_text, out.plan.suite_file);
  // The copy is the suite the plan came from; a different expansion means the plan was edited.
  const auto again = expand_sweep(out.suite);
  bool same = again.size() == out.plan.variants.size();
  for (size_t i = 0; same && i < again.size(); ++i) same = again[i].id == out.plan.variants[i].id;
  if (!same) throw ParseError((dir.path() / "plan.json").string() + ": does not match " + (dir.path() / "suite.yaml").string() + " (edited?)");
  out.to_run = variants_to_run(out.plan, dir.read_variants(), rerun_failed);
  return out;
}

}  // namespace kb::jobs
