// `kubench queue work --workload infer`: a model server behind the real broker — each item a
// query to the model the worker loaded once; `queue load` drives it as it drives transcodes.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "infer/torch_models.h"
#include "queue/workload_infer.h"
#include "support/kubench_process.h"
#include "support/test_support.h"
#include "../queue/queue_process_support.h"

namespace kb::queue {
namespace {

using nlohmann::json;
using test::Broker;
using test::Kubench;

TEST(InferPayload, QueriesOrNothing) {
  EXPECT_EQ(parse_infer_payload(nullptr).queries, 1);
  EXPECT_EQ(parse_infer_payload(json::object()).queries, 1);
  EXPECT_EQ(parse_infer_payload({{"queries", 5}}).queries, 5);
  EXPECT_NE(parse_infer_payload({{"queries", 0}}).error, "");
  EXPECT_NE(parse_infer_payload({{"queries", 2.5}}).error, "");
  EXPECT_NE(parse_infer_payload({{"batch", 2}}).error.find("unknown key \"batch\""), std::string::npos);
  EXPECT_NE(parse_infer_payload("x").error, "");
}

TEST(QueueInfer, WorkerAnswersQueriesToItsModelAndLoadCountsThem) {
  test::TempDir dir;
  test::save_linear_model(dir / "linear.pt");
  Broker broker(dir, {"linear"});
  Kubench worker("worker", {"queue", "work", "--broker", broker.address(), "--queue", "linear", "--workload", "infer", "--model",
                            (dir / "linear.pt").string(), "--input-shape", "4,3", "--slots", "2", "--threads", "1"},
                 dir, {{"KUBENCH_NODE_NAME", "n1"}, {"KUBENCH_POD_NAME", "pod-1"}});
  // One submitted item, answered with the figures of its queries.
  test::Submit one(broker.port, "linear", {{"queries", 3}});
  const auto answer = one.json();
  ASSERT_TRUE(answer.is_object()) << one.answer().body;
  EXPECT_EQ(answer["status"], "ok") << answer.dump();
  EXPECT_EQ(answer["result"]["queries"], 3) << answer.dump();
  EXPECT_EQ(answer["result"]["samples"], 12) << answer.dump();
  EXPECT_GT(answer["result"]["latency_ms"].get<double>(), 0) << answer.dump();
  // A payload the workload refuses fails that item only.
  test::Submit bad(broker.port, "linear", {{"batch", 2}});
  EXPECT_NE(bad.json().dump().find("unknown key"), std::string::npos) << bad.json().dump();

  Kubench load("load", {"queue", "load", "--broker", broker.address(), "--queue", "linear", "--payload", "{}", "-c", "2", "--requests", "40",
                        "--no-api", "-o", "json"},
               dir);
  ASSERT_EQ(load.wait().exit_code, 0) << load.err();
  const auto doc = json::parse(load.out());
  EXPECT_EQ(doc["requests"]["ok"], 40) << doc.dump();
  EXPECT_EQ(doc["nodes"][0]["node"], "n1");
  worker.signal(SIGTERM);
  EXPECT_EQ(worker.wait().exit_code, 0) << worker.err();
}

TEST(QueueInfer, AModelThatCannotRunStopsTheWorkerBeforeItLeases) {
  test::TempDir dir;
  test::save_linear_model(dir / "linear.pt");
  Broker broker(dir, {"linear"});
  auto r = test::run_kubench({"queue", "work", "--broker", broker.address(), "--queue", "linear", "--workload", "infer", "--model",
                              (dir / "linear.pt").string(), "--input-shape", "4,5"});
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("linear.pt: forward failed on 4x5 float32"), std::string::npos) << r.stderr_text;
  r = test::run_kubench({"queue", "work", "--broker", broker.address(), "--queue", "linear", "--workload", "infer"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("--workload infer needs --model FILE"), std::string::npos) << r.stderr_text;
}

}  // namespace
}  // namespace kb::queue
