// The producer's decisions in `kubench encode --kube`: answers from the broker parsed, parts that
// fail tried again up to the plan's attempts and then named, lost exchanges resubmitted without
// counting, a node failing twice dropped while others are left.
#include <gtest/gtest.h>

#include "core/error.h"
#include "encode/part_producer.h"

namespace kb::encode {
namespace {
using nlohmann::json;

std::string ok_answer(int index, bool reused = false) {
  PartRecord r;
  r.index = index;
  r.frames = 50;
  r.node = "n1";
  r.encoder = "libx264";
  auto record = to_json(r);
  record["reused"] = reused;
  return json{{"id", "1"}, {"status", "ok"}, {"attempts", 1},
              {"result", {{"retcode", 0}, {"node", "n1"}, {"stdout", "progress text\n" + record.dump() + "\n"}}}}
      .dump();
}

std::string failed_answer(const std::string& node, const std::string& code, const std::string& message) {
  return json{{"id", "1"}, {"status", "failed"}, {"error", {{"code", code}, {"message", message}}}, {"result", {{"retcode", 1}, {"node", node}}}}.dump();
}

TEST(PartAnswer, OkCarriesTheRecordThePodPrinted) {
  auto a = parse_part_answer(200, ok_answer(4, true), 4);
  ASSERT_EQ(a.kind, PartAnswer::Kind::done);
  EXPECT_EQ(a.record->index, 4);
  EXPECT_EQ(a.record->encoder, "libx264");
  EXPECT_TRUE(a.reused);
  // A record of another part is not this part's.
  EXPECT_EQ(parse_part_answer(200, ok_answer(5), 4).kind, PartAnswer::Kind::failed);
}

TEST(PartAnswer, FailuresAndLostExchangesAreTold) {
  auto failed = parse_part_answer(200, failed_answer("n2", "workload_failed", "kubench: exit status 1: part 3: 44 of 45 frames"), 3);
  EXPECT_EQ(failed.kind, PartAnswer::Kind::failed);
  EXPECT_EQ(failed.node, "n2");
  EXPECT_NE(failed.error.find("44 of 45"), std::string::npos);
  auto died = parse_part_answer(200, failed_answer("", "max_attempts", "leases expired 3 times"), 3);
  EXPECT_EQ(died.kind, PartAnswer::Kind::failed);
  EXPECT_NE(died.error.find("workers died or hung"), std::string::npos);
  EXPECT_EQ(parse_part_answer(503, R"({"error":{"code":"shutting_down","message":"broker stopped"}})", 3).kind, PartAnswer::Kind::lost);
  EXPECT_EQ(parse_part_answer(0, "connection reset by peer", 3).kind, PartAnswer::Kind::lost);
  EXPECT_EQ(parse_part_answer(200, "", 3).kind, PartAnswer::Kind::lost);  // cut mid-answer
}

TEST(PartProducer, DonePartsFinishTheRunAndLostOnesGoFirstAgainUncounted) {
  PartProducer p({2, 0, 1}, 3, {"n1"});
  EXPECT_EQ(p.take(), 2);
  EXPECT_EQ(p.take(), 0);
  EXPECT_EQ(p.in_flight(), 2u);
  PartAnswer lost;
  for (int i = 0; i < 10; ++i) {  // a broker restarting many times costs no attempt
    EXPECT_TRUE(p.answer(2, lost).failure.empty());
    EXPECT_EQ(p.take(), 2);
  }
  for (int i : {2, 0}) EXPECT_TRUE(p.answer(i, parse_part_answer(200, ok_answer(i), i)).failure.empty());
  EXPECT_FALSE(p.finished());
  EXPECT_EQ(p.take(), 1);
  EXPECT_EQ(p.take(), std::nullopt);
  p.answer(1, parse_part_answer(200, ok_answer(1), 1));
  EXPECT_TRUE(p.finished());
  EXPECT_EQ(p.done().size(), 3u);
}

TEST(PartProducer, APartThatFailsEveryAttemptIsNamedWithEachReason) {
  PartProducer p({7}, 3, {"n1", "n2"});
  std::string failure;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    ASSERT_EQ(p.take(), 7);
    auto d = p.answer(7, parse_part_answer(200, failed_answer(attempt == 2 ? "n2" : "n1", "workload_failed", "bad frames"), 7));
    if (attempt < 3) {
      EXPECT_TRUE(d.failure.empty());
      EXPECT_NE(d.note.find("trying again (" + std::to_string(attempt + 1) + " of 3)"), std::string::npos) << d.note;
    } else {
      failure = d.failure;
    }
  }
  EXPECT_EQ(failure, "part 7 failed 3 times: n1: bad frames; n2: bad frames; n1: bad frames");
}

TEST(PartProducer, ANodeThatFailsTwiceIsDroppedWhileAnotherIsLeft) {
  PartProducer p({0, 1, 2, 3}, 3, {"gpu", "cpu"});
  auto fail_on = [&](int index, const std::string& node) {
    return p.answer(index, parse_part_answer(200, failed_answer(node, "workload_failed", "OpenEncodeSessionEx failed"), index));
  };
  p.take();
  p.take();
  EXPECT_TRUE(fail_on(0, "gpu").drop_node.empty());
  auto d = fail_on(1, "gpu");
  EXPECT_EQ(d.drop_node, "gpu");
  EXPECT_NE(d.note.find("its parts go to the other nodes"), std::string::npos);
  EXPECT_EQ(p.dropped_nodes().count("gpu"), 1u);
  // The last node standing is never dropped: its failures end in the part's own verdict.
  p.take();
  p.take();
  EXPECT_TRUE(fail_on(2, "cpu").drop_node.empty());
  EXPECT_TRUE(fail_on(3, "cpu").drop_node.empty());
}

}  // namespace
}  // namespace kb::encode
