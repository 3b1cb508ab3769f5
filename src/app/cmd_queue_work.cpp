// `kubench queue work`: a worker that leases items from `kubench queue serve` and runs them with
// the sleep, exec or media workload (docs/queue-work-load.md).
#include <boost/asio/io_context.hpp>
#include <iostream>
#include <memory>
#include <optional>

#include "app/queue_commands.h"
#include "core/duration.h"
#include "core/error.h"
#include "core/output.h"
#include "core/text.h"
#include "queue/broker_url.h"
#include "queue/worker.h"
#include "queue/worker_slots.h"
#include "infer/infer_options.h"
#include "queue/workload_exec.h"
#include "queue/workload_infer.h"
#include "queue/workload_media.h"
#include "queue/workload_sleep.h"

namespace kb::app {

namespace {

struct WorkFlags {
  std::string broker = "127.0.0.1:8080";
  std::string queue = "sleep";
  std::string workload = "sleep";
  int slots = 1;
  std::string device_glob;
  double time_limit = 0;
  double kill_grace = 2;
  bool allow_request_args = false;
  std::string arg_pattern = queue::kDefaultArgPattern;
  std::string workdir;
  double lease_seconds = 0;
  double poll_wait = 20;
  std::optional<double> idle_exit;
  double backoff = 0.1;
  double backoff_max = 5;
  double drain_seconds = 0;
  std::string token_file;
  std::string worker_name;
  std::string output = "table";
  std::vector<std::string> command;
  queue::MediaOptions media;
  infer::InferOptions infer;
  std::string model, input_file;
  std::vector<std::string> input_shapes;
  std::optional<int64_t> batch;
};

void print_summary(const queue::WorkerSummary& s, OutputFormat format) {
  if (format == OutputFormat::json) {
    nlohmann::json doc = {{"schema", "kubench/queue-worker/v1"}, {"ok", s.ok}, {"failed", s.failed},
                          {"delivered", s.delivered}, {"discarded", s.discarded}, {"stale", s.stale}, {"unacknowledged", s.unacknowledged},
                          {"released", s.released}, {"lease_calls", s.lease_calls}, {"broker_errors", s.broker_errors},
                          {"stop_reason", s.stop_reason}, {"seconds", s.seconds}};
    std::cout << doc.dump(2) << "\n";
    return;
  }
  Table t{{"OK", "FAILED", "DELIVERED", "DISCARDED", "STALE", "RELEASED", "LEASE CALLS", "BROKER ERRORS", "SECONDS", "STOPPED"},
          {},
          {0, 1, 2, 3, 4, 5, 6, 7, 8}};
  t.rows.push_back({std::to_string(s.ok), std::to_string(s.failed), std::to_string(s.delivered), std::to_string(s.discarded),
                    std::to_string(s.stale), std::to_string(s.released), std::to_string(s.lease_calls),
                    std::to_string(s.broker_errors), fixed(s.seconds, 1), s.stop_reason});
  std::cout << t.render();
}

void run(const WorkFlags& f) {
  auto format = parse_output_format(f.output, {OutputFormat::table, OutputFormat::json});
  if (f.slots < 1 || f.slots > 1000) throw UsageError("--slots must be 1..1000");
  if (f.time_limit < 0 || f.kill_grace < 0 || f.lease_seconds < 0 || f.poll_wait < 0 || f.backoff < 0 || f.drain_seconds < 0)
    throw UsageError("durations must not be negative");
  if (f.lease_seconds > 0 && f.lease_seconds < 0.1) throw UsageError("--lease-seconds must be at least 0.1");
  if (f.backoff_max < f.backoff) throw UsageError("--backoff-max must be at least --backoff");
  if (f.idle_exit && *f.idle_exit < 0) throw UsageError("--idle-exit must not be negative");
  if (f.workload != "exec" && !f.command.empty())
    throw UsageError("a command is only taken by --workload exec (got '" + f.command.front() + "')");
  if (f.workload != "exec" && f.allow_request_args) throw UsageError("--allow-request-args applies to --workload exec only");
  if (f.workload != "infer" && !f.model.empty()) throw UsageError("--model applies to --workload infer only");

  queue::WorkerOptions o;
  o.broker = queue::parse_broker_url(f.broker);
  o.queue = f.queue;

  o.identity = queue::worker_identity_from_env();
  if (!f.worker_name.empty()) o.identity.worker = f.worker_name;
  o.slots = f.slots;
  o.devices = queue::expand_device_glob(f.device_glob);
  o.poll_wait = milliseconds_from_seconds(f.poll_wait);
  if (f.lease_seconds > 0) o.lease = milliseconds_from_seconds(f.lease_seconds);
  if (f.idle_exit) o.idle_exit = milliseconds_from_seconds(*f.idle_exit);
  o.backoff_initial = milliseconds_from_seconds(f.backoff);
  o.backoff_max = milliseconds_from_seconds(f.backoff_max);
  if (f.drain_seconds > 0) o.drain_limit = milliseconds_from_seconds(f.drain_seconds);
  if (!f.token_file.empty()) o.token = queue::read_token_file(f.token_file);
  std::optional<std::chrono::milliseconds> limit;
  if (f.time_limit > 0) limit = milliseconds_from_seconds(f.time_limit);

  boost::asio::io_context io;
  std::unique_ptr<queue::Workload> workload;
  if (f.workload == "sleep") {
    workload = std::make_unique<queue::SleepWorkload>(io, f.slots, limit);
  } else if (f.workload == "exec") {
    queue::ExecOptions e;
    e.argv = f.command;
    e.policy = queue::ArgPolicy(f.allow_request_args, f.arg_pattern);
    e.time_limit = limit;
    e.kill_grace = milliseconds_from_seconds(f.kill_grace);
    e.cwd = f.workdir;
    workload = std::make_unique<queue::ExecWorkload>(io, f.slots, std::move(e));
  } else if (f.workload == "media") {
    auto m = f.media;
    m.time_limit = limit;
    if (!o.devices.empty()) m.check_device = o.devices.front();
    workload = std::make_unique<queue::MediaWorkload>(io, f.slots, std::move(m));
  } else if (f.workload == "infer") {
    if (f.model.empty()) throw UsageError("--workload infer needs --model FILE (a TorchScript model)");
    auto i = f.infer;
    i.model = f.model;
    i.input_file = f.input_file;
    for (const auto& shape : f.input_shapes) i.input_shapes.push_back(infer::parse_shape(shape));
    i.batch = f.batch;
    workload = std::make_unique<queue::InferWorkload>(io, f.slots, i);
  } else {
    throw UsageError("--workload '" + f.workload + "': choose sleep, exec, media or infer");
  }

  auto summary = queue::run_worker(io, o, *workload);
  workload.reset();  // joins slot threads before the summary is printed
  print_summary(summary, format);
}

}  // namespace

void add_queue_work(CLI::App& queue_cmd, GlobalOptions& global) {
  auto f = std::make_shared<WorkFlags>();
  auto* cmd = queue_cmd.add_subcommand("work", "Lease items from a queue and run them (the backend / worker)");
  cmd->footer(
      "Examples:\n"
      "  kubench queue work --broker 127.0.0.1:8080 --queue sleep --slots 4\n"
      "  kubench queue work --queue media --workload media --accel vaapi --device-glob '/dev/dri/renderD*' --slots 2\n"
      "  kubench queue work --queue conv --workload exec --time-limit 60 -- /usr/bin/convert-one --fast\n"
      "  kubench queue work --queue resnet --workload infer --model resnet18.pt --input-shape 1,3,224,224 --slots 2 --threads 2\n"
      "Node and pod come from $KUBENCH_NODE_NAME / $KUBENCH_POD_NAME (the downward API), else the host name.\n"
      "SIGTERM: stop leasing, finish running items, exit 0 (a second SIGTERM releases them at once).");
  cmd->add_option("--broker", f->broker, "Broker address HOST:PORT or http://HOST:PORT")->envname("KUBENCH_BROKER")->capture_default_str();
  cmd->add_option("--queue", f->queue, "Queue to lease from")->capture_default_str();
  cmd->add_option("--workload", f->workload, "sleep (payload {\"seconds\": x}), exec (the command after --), media or infer (payload {\"queries\": n})")->capture_default_str();
  cmd->add_option("--slots", f->slots, "Items run at once by this process")->capture_default_str();
  cmd->add_option("--device-glob", f->device_glob, "Devices for the slots, e.g. '/dev/dri/renderD*' (slot i takes match i mod n)");
  cmd->add_option("--time-limit", f->time_limit, "Seconds an item may run; then its process group is killed and it fails (0: none)");
  cmd->add_option("--kill-grace", f->kill_grace, "exec: seconds between SIGTERM and SIGKILL at the time limit")->capture_default_str();
  cmd->add_flag("--allow-request-args", f->allow_request_args, "exec: append the request's \"args\" (each checked against --arg-pattern)");
  cmd->add_option("--arg-pattern", f->arg_pattern, "exec: regular expression every request argument must match in full")->capture_default_str();
  cmd->add_option("--workdir", f->workdir, "exec: working directory of the command");
  cmd->add_option("--lease-seconds", f->lease_seconds, "Lease duration to ask for (default: the broker's); renewed every third of it");
  cmd->add_option("--poll-wait", f->poll_wait, "Seconds a lease call waits for an item (long poll)")->capture_default_str();
  cmd->add_option("--idle-exit", f->idle_exit, "Exit 0 after this many seconds with no item (0: as soon as the queue is empty)");
  cmd->add_option("--backoff", f->backoff, "First retry delay in seconds after a broker error (doubles, with jitter)")->capture_default_str();
  cmd->add_option("--backoff-max", f->backoff_max, "Largest retry delay in seconds")->capture_default_str();
  cmd->add_option("--drain-seconds", f->drain_seconds, "After SIGTERM, release items still running after this long (0: wait for them)");
  cmd->add_option("--token-file", f->token_file, "File with the broker's worker token");
  cmd->add_option("--worker-name", f->worker_name, "Name shown by the broker (default: the pod, or host:pid)");
  cmd->add_option("--accel", f->media.accel, "media: qsv, vaapi, nvenc, amf or cpu")->capture_default_str();
  cmd->add_option("--clips", f->media.clips, "media: generated, official or a directory")->capture_default_str();
  cmd->add_option("--profile", f->media.profile, "media: generated clip length (quick, standard, full)")->capture_default_str();
  cmd->add_option("--cache-dir", f->media.cache_dir, "media: clip cache (default ~/.cache/kubench)");
  cmd->add_option("--ffmpeg", f->media.ffmpeg, "media: ffmpeg to use");
  cmd->add_option("--test", f->media.default_test, "media: test run when the payload names none")->capture_default_str();
  cmd->add_option("--log-dir", f->media.log_dir, "media: directory for the ffmpeg logs (one per slot)");
  cmd->add_option("--model", f->model, "infer: the TorchScript model, loaded once (docs/infer.md)");
  cmd->add_option("--input-shape", f->input_shapes, "infer: shape of a random input (repeat per input; default: the model's example_inputs)");
  cmd->add_option("--input", f->input_file, "infer: real inputs saved with torch.save");
  cmd->add_option("--dtype", f->infer.dtype, "infer: type of the random inputs")->capture_default_str();
  cmd->add_option("--batch", f->batch, "infer: samples per query (the inputs' first dimension)");
  cmd->add_option("--threads", f->infer.threads, "infer: intra-op threads (default: libtorch's)");
  cmd->add_option("--interop-threads", f->infer.interop_threads, "infer: inter-op threads (default: libtorch's)");
  cmd->add_option("--infer-device", f->infer.device, "infer: cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--quantized-engine", f->infer.quantized_engine, "infer: fbgemm, qnnpack, onednn or x86");
  cmd->add_option("--warmup", f->infer.warmup, "infer: warm-up queries at start")->capture_default_str();
  cmd->add_option("-o,--output", f->output, "Summary at exit: table or json")->capture_default_str();
  cmd->add_option("command", f->command, "exec: the program and its arguments (after --); never run through a shell");
  cmd->callback([f, &global] {
    start_command(global);
    run(*f);
  });
}

}  // namespace kb::app
