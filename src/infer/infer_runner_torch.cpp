// The libtorch plugin (kubench-torch.so, torch_plugin.h): run_inference and InferSession's work on
// libtorch. The only file of the product that includes libtorch's headers (they cost ~20 s of
// compile time per file), and the only one linked with libtorch.
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <c10/core/InferenceMode.h>
#include <sys/resource.h>
#include <torch/cuda.h>
#include <torch/script.h>
#include <torch/version.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "core/files.h"
#include "core/text.h"
#include "core/utc_time.h"
#include "infer/infer_runner.h"
#include "infer/torch_plugin.h"
#include "probe/host.h"

namespace kb::infer {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {
std::string torch_version() { return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." + std::to_string(TORCH_VERSION_PATCH); }

// c10::Error keeps a backtrace apart; TorchScript's own errors (JITException) are plain.
std::string reason_of(const std::exception& e) {
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&e)) return torch_error_reason(c10_error->what_without_backtrace());
  return torch_error_reason(e.what());
}

double ms_between(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

const std::map<std::string, c10::ScalarType>& dtypes() {
  static const std::map<std::string, c10::ScalarType> m = {
      {"float32", torch::kFloat32}, {"float16", torch::kFloat16}, {"bfloat16", torch::kBFloat16}, {"float64", torch::kFloat64},
      {"int64", torch::kInt64},     {"int32", torch::kInt32},     {"int8", torch::kInt8},         {"uint8", torch::kUInt8},
      {"bool", torch::kBool}};
  return m;
}

std::string dtype_name(c10::ScalarType t) {
  for (const auto& [name, type] : dtypes())
    if (type == t) return name;
  return c10::toString(t);
}

// Random values that stay meaningful per type: normal floats; integers in [0, 256) (pixels,
// and below any vocabulary size); bools half true. Seeded, so every run sees the same tensors.
torch::Tensor random_tensor(const std::vector<int64_t>& shape, c10::ScalarType type, at::Generator& gen) {
  const auto options = torch::TensorOptions().dtype(type);
  if (at::isFloatingType(type)) return torch::randn(shape, gen, torch::TensorOptions().dtype(torch::kFloat32)).to(type);
  if (type == torch::kBool) return torch::randint(0, 2, shape, gen, torch::TensorOptions().dtype(torch::kInt64)).to(type);
  if (type == torch::kInt8) return torch::randint(-128, 128, shape, gen, options);
  return torch::randint(0, 256, shape, gen, options);
}

std::vector<torch::Tensor> tensors_of(const c10::IValue& v, const std::string& what) {
  if (v.isTensor()) return {v.toTensor()};
  std::vector<torch::Tensor> out;
  const auto add = [&](const c10::IValue& e) {
    if (!e.isTensor()) throw UsageError(what + ": holds a " + e.tagKind() + " where a tensor was expected");
    out.push_back(e.toTensor());
  };
  if (v.isTuple())
    for (const auto& e : v.toTupleRef().elements()) add(e);
  else if (v.isList())
    for (const auto& e : v.toListRef()) add(e);
  else
    throw UsageError(what + ": holds a " + v.tagKind() + "; expected a tensor, or a tuple or list of tensors");
  return out;
}

// Parameters plus the weights quantized modules keep packed in custom-class objects (which
// parameters() does not list): their `unpack` method returns them.
std::pair<int64_t, bool> count_parameters(const torch::jit::Module& module) {
  int64_t count = 0;
  for (const auto& p : module.parameters(true)) count += p.numel();
  bool packed = false;
  for (const auto& m : module.modules()) {
    const auto object = m._ivalue();
    const auto type = object->type();
    for (size_t i = 0; i < type->numAttributes(); ++i) {
      const auto& slot = object->getSlot(i);
      if (!slot.isObject() || type->getAttribute(i)->cast<c10::ClassType>() == nullptr) continue;
      const auto inner = slot.toObject();
      auto* unpack = inner->type()->findMethod("unpack");
      if (unpack == nullptr) continue;
      torch::jit::Stack stack{slot};
      unpack->run(stack);
      for (const auto& t : tensors_of(stack.back(), "packed weights"))
        if (t.defined()) count += t.numel();
      packed = true;
    }
  }
  return {count, packed};
}

c10::QEngine parse_qengine(const std::string& name) {
  static const std::map<std::string, c10::QEngine> m = {
      {"fbgemm", c10::QEngine::FBGEMM}, {"qnnpack", c10::QEngine::QNNPACK}, {"onednn", c10::QEngine::ONEDNN}, {"x86", c10::QEngine::X86}};
  const auto& supported = at::globalContext().supportedQEngines();
  std::string names;
  for (auto e : supported)
    if (e != c10::QEngine::NoQEngine) names += (names.empty() ? "" : ", ") + to_lower(c10::toString(e));
  auto it = m.find(name);
  if (it == m.end() || std::find(supported.begin(), supported.end(), it->second) == supported.end())
    throw UsageError("--quantized-engine " + name + ": this libtorch (" + torch_version() + ") has " + names);
  return it->second;
}

struct Inputs {
  std::vector<c10::IValue> values;
  std::vector<InputInfo> info;
  std::string source;
};

Inputs make_inputs(const InferOptions& o, torch::jit::Module& module, const torch::Device& device) {
  Inputs in;
  std::vector<torch::Tensor> tensors;
  if (!o.input_file.empty()) {
    std::error_code ec;
    if (!fs::is_regular_file(o.input_file, ec)) throw UsageError(o.input_file.string() + ": no such file (--input)");
    const auto bytes = read_file(o.input_file);
    c10::IValue value;
    try {
      value = torch::jit::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
    } catch (const std::exception& e) {
      throw UsageError(o.input_file.string() + ": not a tensor file saved with torch.save: " + reason_of(e));
    }
    tensors = tensors_of(value, o.input_file.string());
    in.source = "--input " + o.input_file.string();
  } else {
    std::vector<std::vector<int64_t>> shapes = o.input_shapes;
    std::vector<c10::ScalarType> types(shapes.size(), dtypes().at(o.dtype));
    in.source = "random";
    if (shapes.empty()) {
      for (const char* name : {"example_inputs", "example_input"}) {
        if (!module.hasattr(name)) continue;
        for (const auto& t : tensors_of(module.attr(name), o.model.string() + ": attribute " + name)) {
          shapes.push_back(t.sizes().vec());
          types.push_back(t.scalar_type());
          tensors.push_back(t);
        }
        in.source = std::string("model ") + name;
        break;
      }
      if (shapes.empty())
        throw UsageError(o.model.string() + " carries no example input (an example_inputs attribute): give --input-shape, e.g. --input-shape 1,3,224,224");
    }
    // The model's own example is used as it is, unless --batch asks for another size.
    if (tensors.empty() || o.batch) {
      tensors.clear();
      auto gen = at::detail::createCPUGenerator(o.seed);
      for (size_t i = 0; i < shapes.size(); ++i) {
        auto shape = shapes[i];
        if (o.batch && !shape.empty()) shape[0] = *o.batch;
        tensors.push_back(random_tensor(shape, types[i], gen));
      }
    }
  }
  for (auto& t : tensors) {
    in.info.push_back({t.sizes().vec(), dtype_name(t.scalar_type())});
    in.values.emplace_back(t.to(device));
  }
  return in;
}

void check_arity(torch::jit::Module& module, const Inputs& in, const std::string& model) {
  const auto& schema = module.get_method("forward").function().getSchema();
  const auto& args = schema.arguments();
  size_t required = 0, total = args.size() > 0 ? args.size() - 1 : 0;  // without self
  std::string names;
  for (size_t i = 1; i < args.size(); ++i) {
    if (!args[i].default_value()) ++required;
    names += (names.empty() ? "" : ", ") + args[i].name();
  }
  if (in.values.size() < required || in.values.size() > total)
    throw UsageError(model + ": forward(" + names + ") takes " + std::to_string(total) + (total == 1 ? " input" : " inputs") + ", " +
                     std::to_string(in.values.size()) + " given (" + in.source + "); give one --input-shape per input");
}

long long peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<long long>(usage.ru_maxrss) * 1024;
}

struct TimedRun {
  std::vector<double> latencies_ms;
  double duration_s = 0;
  std::string stopped_by;
  bool interrupted = false;
};

// A model loaded, its inputs made, its first inference timed and warmed up: what run_inference
// times and what an InferSession answers queries with.
struct Prepared {
  torch::jit::Module module;
  Inputs inputs;
  InferResult result;
  bool cuda = false;
  c10::IValue forward(torch::jit::Module& m, std::vector<c10::IValue>& values) const {
    auto out = m.forward(values);
    if (cuda) torch::cuda::synchronize();
    return out;
  }
};

std::unique_ptr<Prepared> prepare(const InferOptions& o, const InferEvents& events, bool (*interrupted)()) {
  check_options(o);
  const auto model = o.model.string();
  std::error_code ec;
  if (!fs::exists(o.model, ec)) throw UsageError(model + ": no such file");
  if (!fs::is_regular_file(o.model, ec)) throw UsageError(model + ": not a file");

  torch::Device device(torch::kCPU);
  if (o.device != "cpu") {
    if (!torch::cuda::is_available())
      throw EnvironmentError("--device " + o.device + ": this libtorch (" + torch_version() + ") " +
                             (at::hasCUDA() ? "sees no CUDA device" : "was built without CUDA (Debian's libtorch is CPU only)") +
                             "; use --device cpu, or an image with a CUDA build of libtorch");
    try {
      device = torch::Device(o.device);
    } catch (const c10::Error& e) {
      throw UsageError("--device " + o.device + ": " + torch_error_reason(e.what_without_backtrace()));
    }
  }
  if (o.threads > 0) at::set_num_threads(o.threads);
  if (o.interop_threads > 0) {
    try {
      at::set_num_interop_threads(o.interop_threads);
    } catch (const c10::Error& e) {
      // libtorch fixes the inter-op pool at its first use; a second run in one process cannot change it.
      if (at::get_num_interop_threads() != o.interop_threads)
        throw UsageError("--interop-threads " + std::to_string(o.interop_threads) + ": " + torch_error_reason(e.what_without_backtrace()));
    }
  }
  if (!o.quantized_engine.empty()) at::globalContext().setQEngine(parse_qengine(o.quantized_engine));

  auto prepared = std::make_unique<Prepared>();
  auto& r = prepared->result;
  r.started_at = utc_rfc3339();
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  r.host = host;
  r.model_path = model;
  r.model_bytes = fs::file_size(o.model);
  r.model_sha256 = sha256_file(o.model);
  r.seed = o.seed;
  r.scenario = o.scenario;
  r.device = device.str();
  r.threads = at::get_num_threads();
  r.interop_threads = at::get_num_interop_threads();
  r.streams = o.streams;
  r.quantized_engine = o.quantized_engine.empty() ? "" : to_lower(c10::toString(at::globalContext().qEngine()));
  r.libtorch_version = torch_version();
  r.cpu_capability = cpu_capability_from_config(at::show_config());
  try {
    r.cpu_model = probe::read_cpu().model;
    r.cpu_flags = vector_extensions(read_file("/proc/cpuinfo"));
  } catch (const std::exception&) {
    r.cpu_model = "unknown";
  }
  r.rules = o.rules;
  r.rules.early_stopping = o.rules.early_stopping && o.scenario == Scenario::single_stream;
  r.warmup = o.warmup;

  auto& module = prepared->module;
  const auto load_start = Clock::now();
  try {
    module = torch::jit::load(model, device);
  } catch (const std::exception& e) {
    throw UsageError(model + ": not a TorchScript model libtorch " + torch_version() + " can load: " + reason_of(e));
  }
  module.eval();
  r.load_ms = ms_between(load_start, Clock::now());
  if (!module.find_method("forward")) throw UsageError(model + ": the model has no forward method");
  std::tie(r.parameters, r.packed_parameters) = count_parameters(module);
  if (events.note) events.note("Loaded " + model + " in " + fixed(r.load_ms, 1) + " ms (" + std::to_string(r.parameters) + " parameters)");

  prepared->inputs = make_inputs(o, module, device);
  auto& inputs = prepared->inputs;
  r.inputs = inputs.info;
  r.input_source = inputs.source;
  r.batch = (!r.inputs.empty() && !r.inputs[0].shape.empty()) ? r.inputs[0].shape[0] : 1;
  check_arity(module, inputs, model);

  prepared->cuda = device.is_cuda();
  const auto forward = [&](torch::jit::Module& m, std::vector<c10::IValue>& values) { return prepared->forward(m, values); };

  // The first inference includes TorchScript's profiling and optimisation: reported apart.
  {
    c10::InferenceMode guard;
    const auto t0 = Clock::now();
    try {
      const auto out = forward(module, inputs.values);
      try {
        double sum = 0;
        for (const auto& t : tensors_of(out, "output")) {
          r.outputs.push_back({t.sizes().vec(), dtype_name(t.scalar_type())});
          sum += (t.is_quantized() ? t.dequantize() : t).to(torch::kCPU).to(torch::kFloat64).sum().item<double>();
        }
        r.output_sum = sum;
      } catch (const Error&) {
        // An output that is not tensors (a dict, a string) is timed all the same.
      }
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw UsageError(model + ": forward failed on " + inputs_text(inputs.info) + ": " + reason_of(e));
    }
    r.cold_ms = ms_between(t0, Clock::now());
    const auto w0 = Clock::now();
    for (int i = 0; i < o.warmup && !interrupted(); ++i) forward(module, inputs.values);
    r.warmup_ms = ms_between(w0, Clock::now());
  }
  if (events.note)
    events.note("First inference " + fixed(r.cold_ms, 2) + " ms; " + std::to_string(o.warmup) + " warm-up queries in " + fixed(r.warmup_ms, 1) + " ms");
  return prepared;
}

InferResult run_timed(const InferOptions& o, const InferEvents& events, bool (*interrupted)()) {
  const auto prepared = prepare(o, events, interrupted);
  auto& module = prepared->module;
  auto& inputs = prepared->inputs;
  auto& r = prepared->result;
  const auto model = o.model.string();
  const auto forward = [&](torch::jit::Module& m, std::vector<c10::IValue>& values) { return prepared->forward(m, values); };

  // Stopping rule: --iterations alone is a fixed count; otherwise LoadGen's "until both the
  // minimum queries and the minimum duration are met". --max-duration and Ctrl-C stop early.
  const size_t target_queries = o.iterations.value_or(o.rules.min_queries);
  const double target_s = o.run_duration_s ? *o.run_duration_s : (o.iterations ? 0.0 : o.rules.min_duration_s);
  std::atomic<size_t> issued{0};
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::exception_ptr failure;
  TimedRun run;
  const auto start = Clock::now();
  const double report_every_s = 0.25;

  const auto stream = [&](int index) {
    try {
      c10::InferenceMode guard;
      if (index > 0) at::init_num_threads();  // OpenMP's thread count is per thread
      auto values = index == 0 ? inputs.values : std::vector<c10::IValue>{};
      if (index > 0)
        for (const auto& v : inputs.values) values.emplace_back(v.toTensor().clone());
      std::vector<double> mine;
      mine.reserve(std::min<size_t>(target_queries, 1 << 20));
      double next_report = report_every_s;
      while (!stop.load(std::memory_order_relaxed)) {
        const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        if (interrupted()) {
          std::lock_guard lock(mutex);
          run.interrupted = true;
          run.stopped_by = "interrupted";
          stop = true;
          break;
        }
        if (o.max_duration_s && elapsed >= *o.max_duration_s) {
          std::lock_guard lock(mutex);
          if (run.stopped_by.empty()) run.stopped_by = "--max-duration";
          stop = true;
          break;
        }
        const size_t claimed = issued.fetch_add(1);
        if (claimed >= target_queries && elapsed >= target_s) {
          std::lock_guard lock(mutex);
          if (run.stopped_by.empty()) run.stopped_by = o.iterations && !o.run_duration_s ? "--iterations" : "queries and duration";
          stop = true;
          break;
        }
        const auto t0 = Clock::now();
        forward(module, values);
        const auto t1 = Clock::now();
        mine.push_back(ms_between(t0, t1));
        if (index == 0 && events.progress) {
          const double now_s = std::chrono::duration<double>(t1 - start).count();
          if (now_s >= next_report) {
            events.progress(issued.load(), now_s, target_queries, target_s);
            next_report = now_s + report_every_s;
          }
        }
      }
      std::lock_guard lock(mutex);
      run.latencies_ms.insert(run.latencies_ms.end(), mine.begin(), mine.end());
    } catch (...) {
      std::lock_guard lock(mutex);
      if (!failure) failure = std::current_exception();
      stop = true;
    }
  };
  if (o.streams == 1) {
    stream(0);
  } else {
    std::vector<std::thread> threads;
    for (int i = 0; i < o.streams; ++i) threads.emplace_back(stream, i);
    for (auto& t : threads) t.join();
  }
  run.duration_s = std::chrono::duration<double>(Clock::now() - start).count();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw UsageError(model + ": forward failed during the run: " + reason_of(e));
    }
  }

  auto sorted = run.latencies_ms;
  std::sort(sorted.begin(), sorted.end());
  r.latency = summarize_latencies(sorted);
  r.queries = sorted.size();
  r.samples = r.queries * static_cast<size_t>(r.batch);
  r.duration_s = run.duration_s;
  if (run.duration_s > 0) {
    r.samples_per_s = static_cast<double>(r.samples) / run.duration_s;
    r.queries_per_s = static_cast<double>(r.queries) / run.duration_s;
  }
  if (!sorted.empty()) r.early_stopping_ms = early_stopping_estimate(sorted, r.rules.early_stopping_percentile, r.rules.early_stopping_confidence);
  r.interrupted = run.interrupted;
  r.stopped_by = run.stopped_by;
  r.complete = !run.interrupted && run.stopped_by != "--max-duration";
  const std::string incomplete = run.interrupted ? "interrupted (Ctrl-C) after " + std::to_string(r.queries) + " queries"
                                                 : "stopped by --max-duration after " + std::to_string(r.queries) + " queries";
  r.verdict = judge_run(r.queries, r.duration_s, r.early_stopping_ms, r.complete, incomplete, r.rules);
  r.peak_rss_bytes = peak_rss_bytes();
  r.finished_at = utc_rfc3339();
  return r;
}

struct Session {
  std::unique_ptr<Prepared> prepared;
  std::vector<std::vector<c10::IValue>> slot_inputs;  // each slot its own copy: queries run at once
};

bool never() { return false; }

Session* open_session(const InferOptions& options, int slots) {
  auto session = std::make_unique<Session>();
  session->prepared = prepare(options, {}, &never);
  for (int i = 0; i < slots; ++i) {
    std::vector<c10::IValue> copy;
    for (const auto& v : session->prepared->inputs.values) copy.emplace_back(v.toTensor().clone());
    session->slot_inputs.push_back(std::move(copy));
  }
  return session.release();
}

double run_query(Session* session, int slot) {
  thread_local bool threads_set = false;
  if (!threads_set) {
    at::init_num_threads();  // OpenMP's thread count is per thread
    threads_set = true;
  }
  c10::InferenceMode guard;
  auto& p = *session->prepared;
  const auto t0 = Clock::now();
  try {
    p.forward(p.module, session->slot_inputs.at(static_cast<size_t>(slot)));
  } catch (const std::exception& e) {
    throw UsageError(p.result.model_path + ": forward failed: " + reason_of(e));
  }
  return ms_between(t0, Clock::now());
}

// Errors cross as data: the plugin's exception types are its own copies.
template <class Work>
bool guarded(PluginError& error, Work&& work) {
  try {
    work();
    return true;
  } catch (const EnvironmentError& e) {
    error = {e.exit_code(), true, e.what()};
  } catch (const Error& e) {
    error = {e.exit_code(), false, e.what()};
  } catch (const std::exception& e) {
    error = {kExitUsage, false, std::string("libtorch: ") + reason_of(e)};
  }
  return false;
}

}  // namespace

}  // namespace kb::infer

extern "C" const kb::infer::TorchPlugin* kubench_torch_plugin() {
  using namespace kb::infer;
  static const TorchPlugin plugin = {
      kTorchPluginAbi,
      &torch_version,
      [](const InferOptions& o, const InferEvents& events, bool (*stop)(), InferResult& out, PluginError& error) {
        return guarded(error, [&] { out = run_timed(o, events, stop); });
      },
      [](const InferOptions& o, int slots, PluginError& error) -> void* {
        Session* session = nullptr;
        guarded(error, [&] { session = open_session(o, slots); });
        return session;
      },
      [](void* session, int slot, double& ms, PluginError& error) {
        return guarded(error, [&] { ms = run_query(static_cast<Session*>(session), slot); });
      },
      [](void* session) -> const InferResult* { return &static_cast<Session*>(session)->prepared->result; },
      [](void* session) { delete static_cast<Session*>(session); },
  };
  return &plugin;
}
