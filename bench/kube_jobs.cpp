// Creates N Jobs and watches them all to completion with kubench's client; prints one JSON line
// with API requests, wall time, CPU time and peak memory. Driven by bench/kube_jobs.sh.
//   kube_jobs KUBECONFIG NAMESPACE COUNT IMAGE
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <set>

#include "kube/client.h"
#include "kube/kubeconfig.h"

using namespace kb::kube;

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: kube_jobs KUBECONFIG NAMESPACE COUNT IMAGE\n");
    return 2;
  }
  std::string ns = argv[2], image = argv[4];
  int count = std::stoi(argv[3]);
  LoadOptions load;
  load.kubeconfig = argv[1];
  TransportOptions options;
  options.qps = 50;
  options.burst = 100;
  auto transport = std::make_shared<Transport>(load_rest_config(load), options);
  Client client(transport);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) {
    json job = {{"apiVersion", "batch/v1"},
                {"kind", "Job"},
                {"metadata", {{"name", "j" + std::to_string(i)}, {"labels", {{"bench", "kube-jobs"}}}}},
                {"spec",
                 {{"backoffLimit", 0},
                  {"template",
                   {{"spec",
                     {{"restartPolicy", "Never"},
                      {"containers", {{{"name", "c"}, {"image", image}, {"imagePullPolicy", "Never"}, {"command", {"true"}}}}}}}}}}}};
    client.create(resources::jobs, ns, job);
  }
  std::set<std::string> complete;
  ListOptions o;
  o.label_selector = "bench=kube-jobs";
  auto check = [&](const json& job) {
    for (auto& c : job.value("status", json::object()).value("conditions", json::array()))
      if (c.value("type", "") == "Complete" && c.value("status", "") == "True") complete.insert(job["metadata"]["name"].get<std::string>());
  };
  client.list_watch(resources::jobs, ns, o, [&](const WatchEvent& e) {
    if (e.type == "SYNC")
      for (auto& j : e.object) check(j);
    else if (e.type == "ADDED" || e.type == "MODIFIED")
      check(e.object);
    return static_cast<int>(complete.size()) < count;
  });
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  struct rusage u {};
  getrusage(RUSAGE_SELF, &u);
  double cpu = static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  auto stats = transport->stats();
  std::cout << json{{"jobs", count}, {"requests", stats.requests}, {"requests_per_job", static_cast<double>(stats.requests) / count},
                    {"wall_seconds", wall}, {"cpu_seconds", cpu}, {"peak_rss_kib", u.ru_maxrss}}
                   .dump()
            << "\n";
  return 0;
}
