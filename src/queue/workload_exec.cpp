#include "queue/workload_exec.h"

#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <mutex>

#include "core/error.h"
#include "core/process.h"
#include "core/text.h"
#include "queue/slot_threads.h"

namespace kb::queue {

namespace asio = boost::asio;

namespace {
constexpr size_t kOutputTail = 4096;  // bytes of stdout kept in the result

std::string tail(const std::string& text, size_t n) { return text.size() <= n ? text : text.substr(text.size() - n); }
}  // namespace

struct ExecWorkload::Impl {
  asio::io_context& io;
  ExecOptions options;
  // The running child's pid per slot, so cancel() can kill its group from the io thread.
  struct Running {
    std::mutex mutex;
    pid_t pid = -1;
    bool cancelled = false;
  };
  std::vector<std::unique_ptr<Running>> running;
  SlotThreads threads;  // last: joined first, while what the tasks use still exists

  Impl(asio::io_context& i, int slots, ExecOptions o) : io(i), options(std::move(o)), threads(slots) {
    for (int s = 0; s < slots; ++s) running.push_back(std::make_unique<Running>());
  }

  WorkOutcome run(int slot, const ExecPlan& plan, const std::string& device, const WorkItem& item) {
    ProcessSpec spec;
    spec.argv = plan.argv;
    spec.env = {{"KUBENCH_DEVICE", device},
                {"KUBENCH_ITEM_ID", item.id},
                {"KUBENCH_ATTEMPT", std::to_string(item.attempt)},
                {"KUBENCH_SLOT", std::to_string(slot)}};
    spec.cwd = options.cwd;
    spec.timeout = options.time_limit;
    spec.kill_grace = options.kill_grace;
    WorkOutcome outcome;
    auto& r = *running[static_cast<size_t>(slot)];
    try {
      ChildProcess child(spec);
      {
        std::lock_guard lock(r.mutex);
        r.pid = child.pid();
        if (r.cancelled) child.signal_group(SIGKILL);
      }
      ProcessResult result = child.wait();
      {
        std::lock_guard lock(r.mutex);
        r.pid = -1;
      }
      outcome.result = {{"retcode", result.exit_code}, {"pid", child.pid()}, {"wall_s", result.wall_seconds}};
      if (result.signal) outcome.result["signal"] = result.signal;
      if (!result.stdout_text.empty()) outcome.result["stdout"] = tail(result.stdout_text, kOutputTail);
      outcome.ok = result.ok();
      if (result.timed_out) {
        outcome.result["timed_out"] = true;
        outcome.error = "time limit of " + fixed(static_cast<double>(options.time_limit->count()) / 1000, 1) +
                        " s reached: process group killed";
      } else if (!outcome.ok) {
        std::string why = last_lines(result.stderr_text, 2);
        outcome.error = plan.argv[0] + ": " + result.describe() + (why.empty() ? "" : ": " + why);
      }
      std::lock_guard lock(r.mutex);
      if (r.cancelled && !result.ok()) outcome.error = "cancelled";
    } catch (const Error& e) {
      outcome.ok = false;
      outcome.error = e.what();
    }
    return outcome;
  }
};

ExecWorkload::ExecWorkload(asio::io_context& io, int slots, ExecOptions options) {
  if (options.argv.empty()) throw UsageError("the exec workload needs a program: kubench queue work --workload exec -- PROGRAM [ARGS...]");
  auto found = find_executable(options.argv[0]);
  if (!found) throw EnvironmentError(options.argv[0] + ": program not found or not executable");
  impl_ = std::make_unique<Impl>(io, slots, std::move(options));
}

ExecWorkload::~ExecWorkload() = default;

void ExecWorkload::start(int slot, const std::string& device, const WorkItem& item, Done done) {
  ExecPlan plan = plan_exec(impl_->options.argv, device, item.payload, impl_->options.policy);
  if (!plan.refusal.empty()) {
    WorkOutcome refused{false, nlohmann::json::object(), plan.refusal};
    asio::post(impl_->io, [done = std::move(done), o = std::move(refused)]() mutable { done(std::move(o)); });
    return;
  }
  {
    auto& r = *impl_->running[static_cast<size_t>(slot)];
    std::lock_guard lock(r.mutex);
    r.cancelled = false;
  }
  impl_->threads.run(slot, [impl = impl_.get(), slot, device, item, plan = std::move(plan), done = std::move(done)]() mutable {
    WorkOutcome outcome = impl->run(slot, plan, device, item);
    asio::post(impl->io, [done = std::move(done), o = std::move(outcome)]() mutable { done(std::move(o)); });
  });
}

void ExecWorkload::cancel(int slot) {
  auto& r = *impl_->running.at(static_cast<size_t>(slot));
  std::lock_guard lock(r.mutex);
  r.cancelled = true;
  if (r.pid > 0) ::kill(-r.pid, SIGKILL);
}

}  // namespace kb::queue
