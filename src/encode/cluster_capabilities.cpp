#include "encode/cluster_capabilities.h"

#include <algorithm>
#include <ctime>

#include "core/error.h"
#include "core/utc_time.h"
#include "jobs/node_probe_job.h"
#include "jobs/run_targets.h"
#include "media/bench_runner.h"
#include "route/capability_cache.h"

namespace kb::encode {

ClusterCapabilities cluster_capabilities(kube::Client& client, const std::string& ns, const ClusterProbeOptions& o,
                                         const ClusterProbeEvents& events) {
  ClusterCapabilities out;
  std::vector<std::string> names;
  const auto listed = client.list(kube::resources::nodes, "");  // not a temporary: the loop would dangle
  for (auto& item : listed["items"]) {
    auto node = kube::node_inventory(item);
    if (!node.ready || node.unschedulable || !jobs::matches(node, o.selector)) continue;
    if (auto why = jobs::arch_exclusion(node, o.image, o.platforms); !why.empty()) {
      out.left_out.push_back(why);
      if (events.note) events.note("left out: " + why);
      continue;
    }
    names.push_back(node.name);
    out.nodes.push_back(std::move(node));
  }
  if (out.nodes.empty() && !out.left_out.empty())
    throw UsageError("no Ready node can run " + o.image + ": " + out.left_out.front() + " (--image-platforms, or build the image for them)");
  if (out.nodes.empty()) {
    std::string selector;
    for (auto& [key, value] : o.selector) selector += (selector.empty() ? "" : ",") + key + "=" + value;
    throw UsageError("no Ready, schedulable node" + (selector.empty() ? "" : " matches --selector " + selector));
  }

  out.matrix = route::read_cached_matrix(client, ns);
  const auto todo = route::nodes_to_probe(out.matrix, names, std::time(nullptr), o.max_age, o.refresh);
  if (todo.empty()) return out;
  jobs::NodeProbeJobSpec spec;
  spec.run_id = jobs::dns_label("probe-" + media::new_run_id(), 40);
  spec.namespace_name = ns;
  spec.image = o.image;
  spec.image_pull_policy = o.image_pull_policy;
  spec.architectures = o.platforms.architectures;
  for (auto& n : out.nodes)
    if (std::find(todo.begin(), todo.end(), n.name) != todo.end()) spec.nodes.push_back(n);
  spec.probe_seconds = o.probe_seconds;
  spec.measure_4k = o.measure_4k;
  spec.encoders = o.encoders;
  if (events.note)
    events.note("Probing " + std::to_string(spec.nodes.size()) + " of " + std::to_string(out.nodes.size()) + " nodes on " +
                client.config().cluster.server + ", namespace " + ns + ", one Job each");
  auto options = jobs::node_probe_run_options(spec);
  options.keep = o.keep;
  options.schedule_timeout_seconds = o.schedule_timeout;
  jobs::RunEvents run_events;
  run_events.note = events.note;
  run_events.status = events.status;
  auto report = jobs::JobRun(client, options, run_events).run();
  if (report.interrupted) throw Interrupted();
  std::vector<route::NodeCapabilities> fresh;
  for (auto& t : report.targets) {
    if (t.outcome == jobs::Outcome::succeeded && t.result) {
      auto one = route::matrix_from_json(*t.result, "the probe of " + t.case_name);
      auto node = one.nodes.at(0);
      node.node = t.case_name;
      for (auto& n : out.nodes)
        if (n.name == t.case_name) node.gpu_resources = n.gpu_resources;
      fresh.push_back(std::move(node));
      out.probed.push_back(t.case_name);
    } else {
      route::NodeCapabilities failed;
      failed.node = t.case_name;
      failed.probed_at = utc_rfc3339();
      failed.error = jobs::to_string(t.outcome) + ": " + t.message;
      fresh.push_back(failed);
      out.failed.push_back(t.case_name + ": " + failed.error);
      out.exit_code = report.exit_code();
    }
  }
  out.matrix = route::merge(std::move(out.matrix), fresh, utc_rfc3339());
  route::write_cached_matrix(client, ns, out.matrix);
  return out;
}

}  // namespace kb::encode
