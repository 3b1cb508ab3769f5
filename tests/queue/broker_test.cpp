// The broker's state machine with a hand-driven clock: leases, expiry and requeue, attempts,
// stale completions, qmax, timeouts, disconnects, drain.
#include "queue/broker.h"

#include <gtest/gtest.h>

#include <optional>
#include <set>

#include "core/error.h"

namespace kb::queue {
namespace {
using namespace std::chrono_literals;

// Records what the callbacks receive, and how often.
struct Submitter {
  std::vector<ItemResult> results;
  ResultCallback callback() {
    return [this](ItemResult&& r) { results.push_back(std::move(r)); };
  }
};

struct Poller {
  int calls = 0;
  Status status = Status::ok;
  std::vector<LeasedItem> items;
  LeaseCallback callback() {
    return [this](Status s, std::vector<LeasedItem>&& got) {
      ++calls;
      status = s;
      items = std::move(got);
    };
  }
};

class BrokerTest : public ::testing::Test {
 protected:
  BrokerConfig config(std::size_t qmax = 0, int max_attempts = 3) {
    BrokerConfig c;
    c.queues = {"q", "other"};
    c.qmax = qmax;
    c.lease = 10s;
    c.max_attempts = max_attempts;
    c.id_key = 42;
    return c;
  }
  std::uint64_t submit(Broker& b, Submitter& s, std::string payload = "{\"n\":1}", Duration timeout = 60s) {
    auto r = b.submit("q", std::move(payload), timeout, now, s.callback());
    EXPECT_EQ(r.status, Status::ok);
    return r.id;
  }
  LeasedItem lease_one(Broker& b, const std::string& worker = "w1") {
    auto r = b.lease("q", worker, 1, std::nullopt, 0s, now, {});
    EXPECT_EQ(r.status, Status::ok);
    EXPECT_EQ(r.items.size(), 1u);
    return r.items.empty() ? LeasedItem{} : r.items.front();
  }
  QueueStats stats(Broker& b) { return *b.stats("q", now); }

  TimePoint now = TimePoint{} + 1000h;
};

TEST_F(BrokerTest, SubmitLeaseCompleteAnswersOnce) {
  Broker b(config());
  Submitter s;
  auto id = submit(b, s);
  now += 2s;
  auto item = lease_one(b);
  EXPECT_EQ(item.id, id);
  EXPECT_EQ(item.attempt, 1);
  EXPECT_EQ(item.payload, "{\"n\":1}");
  EXPECT_EQ(item.lease_for, 10s);
  EXPECT_EQ(item.deadline_in, 58s);
  EXPECT_EQ(stats(b).leased, 1u);
  now += 3s;
  auto done = b.complete(item.lease, true, "{\"r\":2}", "", now);
  EXPECT_EQ(done.status, Status::ok);
  EXPECT_TRUE(done.delivered);
  ASSERT_EQ(s.results.size(), 1u);
  const auto& r = s.results[0];
  EXPECT_EQ(r.kind, ItemResult::Kind::finished);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.id, id);
  EXPECT_EQ(r.result, "{\"r\":2}");
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.worker, "w1");
  EXPECT_DOUBLE_EQ(r.wait_seconds, 2.0);
  EXPECT_DOUBLE_EQ(r.run_seconds, 3.0);
  EXPECT_EQ(b.items(), 0u);
  EXPECT_EQ(b.complete(item.lease, true, "null", "", now).status, Status::stale_lease);
  EXPECT_EQ(s.results.size(), 1u);
  auto st = stats(b);
  EXPECT_EQ(st.counters.submitted, 1u);
  EXPECT_EQ(st.counters.completed, 1u);
  EXPECT_EQ(st.leased, 0u);
  EXPECT_EQ(st.wait.count(), 1u);
  EXPECT_EQ(st.run.count(), 1u);
  EXPECT_EQ(b.stale_completions(), 1u);
  EXPECT_FALSE(b.next_deadline().has_value());
}

TEST_F(BrokerTest, WorkerFailureIsFinalAndPassedOn) {
  Broker b(config());
  Submitter s;
  submit(b, s);
  auto item = lease_one(b);
  b.complete(item.lease, false, "{\"retcode\":1}", "exit status 1", now);
  ASSERT_EQ(s.results.size(), 1u);
  EXPECT_FALSE(s.results[0].ok);
  EXPECT_EQ(s.results[0].error_code, "workload_failed");
  EXPECT_EQ(s.results[0].error_message, "exit status 1");
  EXPECT_EQ(s.results[0].result, "{\"retcode\":1}");
  EXPECT_EQ(stats(b).counters.failed_workload, 1u);
}

TEST_F(BrokerTest, LongPollGetsTheNextSubmittedItem) {
  Broker b(config());
  Poller p;
  auto r = b.lease("q", "w1", 4, std::nullopt, 20s, now, p.callback());
  EXPECT_TRUE(r.items.empty());
  EXPECT_NE(r.waiter, 0u);
  EXPECT_EQ(stats(b).polling, 1u);
  EXPECT_EQ(p.calls, 0);
  Submitter s;
  auto id = submit(b, s);
  ASSERT_EQ(p.calls, 1);
  ASSERT_EQ(p.items.size(), 1u);  // one at once, even though four were asked for
  EXPECT_EQ(p.items[0].id, id);
  auto st = stats(b);
  EXPECT_EQ(st.polling, 0u);
  EXPECT_EQ(st.waiting, 0u);
  EXPECT_EQ(st.leased, 1u);
}

TEST_F(BrokerTest, LongPollEndsEmptyAtItsDeadline) {
  Broker b(config());
  Poller p;
  b.lease("q", "w1", 1, std::nullopt, 20s, now, p.callback());
  ASSERT_TRUE(b.next_deadline().has_value());
  EXPECT_EQ(*b.next_deadline(), now + 20s);
  b.tick(now + 19s);
  EXPECT_EQ(p.calls, 0);
  b.tick(now + 20s);
  EXPECT_EQ(p.calls, 1);
  EXPECT_EQ(p.status, Status::ok);
  EXPECT_TRUE(p.items.empty());
  EXPECT_EQ(stats(b).polling, 0u);
}

TEST_F(BrokerTest, WaitingWorkersAreServedInArrivalOrder) {
  Broker b(config());
  Poller first, second;
  b.lease("q", "w1", 1, std::nullopt, 20s, now, first.callback());
  b.lease("q", "w2", 1, std::nullopt, 20s, now, second.callback());
  Submitter s;
  submit(b, s);
  EXPECT_EQ(first.calls, 1);
  EXPECT_EQ(second.calls, 0);
  submit(b, s);
  EXPECT_EQ(second.calls, 1);
}

TEST_F(BrokerTest, CancelledWaiterIsSkipped) {
  Broker b(config());
  Poller gone;
  auto r = b.lease("q", "w1", 1, std::nullopt, 20s, now, gone.callback());
  b.cancel_waiter(r.waiter, now);
  Submitter s;
  submit(b, s);
  EXPECT_EQ(gone.calls, 0);
  EXPECT_EQ(stats(b).waiting, 1u);
  EXPECT_EQ(stats(b).polling, 0u);
}

TEST_F(BrokerTest, LeaseTakesUpToMaxItemsOldestFirst) {
  Broker b(config());
  Submitter s;
  auto a = submit(b, s);
  auto c = submit(b, s);
  submit(b, s);
  auto r = b.lease("q", "w1", 2, std::nullopt, 0s, now, {});
  ASSERT_EQ(r.items.size(), 2u);
  EXPECT_EQ(r.items[0].id, a);
  EXPECT_EQ(r.items[1].id, c);
  EXPECT_NE(r.items[0].lease, r.items[1].lease);
  EXPECT_EQ(stats(b).waiting, 1u);
  EXPECT_TRUE(b.lease("q", "w1", 0, std::nullopt, 20s, now, {}).items.empty());  // complete-only call
  EXPECT_EQ(stats(b).polling, 0u);
}

TEST_F(BrokerTest, ExpiredLeaseRequeuesAtTheHeadAndStaleCompletionIsRefused) {
  Broker b(config());
  Submitter s;
  auto first = submit(b, s);
  auto dead = lease_one(b, "dies");
  auto second = submit(b, s);
  b.tick(now + 9s);
  EXPECT_EQ(stats(b).leased, 1u);
  now += 10s;
  b.tick(now);
  auto st = stats(b);
  EXPECT_EQ(st.leased, 0u);
  EXPECT_EQ(st.waiting, 2u);
  EXPECT_EQ(st.counters.lease_expired, 1u);
  EXPECT_EQ(st.counters.requeued, 1u);
  auto retry = lease_one(b, "w2");
  EXPECT_EQ(retry.id, first);  // before `second`, which arrived later
  EXPECT_EQ(retry.attempt, 2);
  EXPECT_NE(retry.lease, dead.lease);
  // The slow worker wakes up: its lease is dead, the client hears nothing from it.
  EXPECT_EQ(b.complete(dead.lease, true, "\"late\"", "", now).status, Status::stale_lease);
  EXPECT_EQ(b.heartbeat(dead.lease, std::nullopt, now).status, Status::stale_lease);
  EXPECT_TRUE(s.results.empty());
  b.complete(retry.lease, true, "\"ok\"", "", now);
  ASSERT_EQ(s.results.size(), 1u);
  EXPECT_EQ(s.results[0].id, first);
  EXPECT_EQ(s.results[0].attempts, 2);
  EXPECT_EQ(s.results[0].worker, "w2");
  EXPECT_EQ(s.results[0].result, "\"ok\"");
  EXPECT_EQ(lease_one(b).id, second);
}

TEST_F(BrokerTest, RequeuedItemGoesStraightToAWaitingWorker) {
  Broker b(config());
  Submitter s;
  auto id = submit(b, s);
  lease_one(b, "dies");
  Poller p;
  b.lease("q", "w2", 1, std::nullopt, 60s, now, p.callback());
  b.tick(now + 10s);
  ASSERT_EQ(p.calls, 1);
  ASSERT_EQ(p.items.size(), 1u);
  EXPECT_EQ(p.items[0].id, id);
  EXPECT_EQ(p.items[0].attempt, 2);
}

TEST_F(BrokerTest, MaxAttemptsFailsTheItemWithItsReason) {
  Broker b(config(0, 2));
  Submitter s;
  submit(b, s);
  lease_one(b, "a");
  now += 10s;
  b.tick(now);
  EXPECT_TRUE(s.results.empty());
  lease_one(b, "b");
  now += 10s;
  b.tick(now);
  ASSERT_EQ(s.results.size(), 1u);
  EXPECT_FALSE(s.results[0].ok);
  EXPECT_EQ(s.results[0].error_code, "max_attempts");
  EXPECT_NE(s.results[0].error_message.find("lease expired 2 times"), std::string::npos);
  EXPECT_NE(s.results[0].error_message.find("last worker b"), std::string::npos);
  EXPECT_EQ(s.results[0].attempts, 2);
  EXPECT_EQ(b.items(), 0u);
  EXPECT_EQ(stats(b).counters.failed_max_attempts, 1u);
}

TEST_F(BrokerTest, HeartbeatExtendsTheLease) {
  Broker b(config());
  Submitter s;
  submit(b, s);
  auto item = lease_one(b);
  now += 8s;
  auto beat = b.heartbeat(item.lease, std::nullopt, now);
  EXPECT_EQ(beat.status, Status::ok);
  EXPECT_EQ(beat.lease_for, 10s);
  EXPECT_FALSE(beat.cancelled);
  b.tick(now + 9s);  // 17 s after the lease: the original expiry has passed
  EXPECT_EQ(stats(b).leased, 1u);
  beat = b.heartbeat(item.lease, 30s, now + 9s);  // and a longer one
  EXPECT_EQ(beat.lease_for, 30s);
  b.tick(now + 38s);
  EXPECT_EQ(stats(b).leased, 1u);
  b.tick(now + 39s);
  EXPECT_EQ(stats(b).leased, 0u);
  EXPECT_EQ(stats(b).counters.lease_expired, 1u);
}

TEST_F(BrokerTest, ReleasePutsTheItemBackAtOnce) {
  Broker b(config());
  Submitter s;
  auto first = submit(b, s);
  submit(b, s);
  auto item = lease_one(b);
  auto rel = b.release(item.lease, now);
  EXPECT_EQ(rel.status, Status::ok);
  EXPECT_TRUE(rel.requeued);
  EXPECT_EQ(b.release(item.lease, now).status, Status::stale_lease);
  auto again = lease_one(b);
  EXPECT_EQ(again.id, first);
  EXPECT_EQ(again.attempt, 2);
}

TEST_F(BrokerTest, QmaxCountsWaitingItemsOnly) {
  Broker b(config(2));
  Submitter s;
  submit(b, s);
  submit(b, s);
  auto r = b.submit("q", "null", 60s, now, s.callback());
  EXPECT_EQ(r.status, Status::queue_full);
  EXPECT_EQ(stats(b).counters.rejected_full, 1u);
  lease_one(b);
  EXPECT_EQ(b.submit("q", "null", 60s, now, s.callback()).status, Status::ok);
  EXPECT_EQ(b.submit("other", "null", 60s, now, s.callback()).status, Status::ok);  // per queue
}

TEST_F(BrokerTest, SubmitTimeoutCancelsAWaitingItem) {
  Broker b(config());
  Submitter s;
  auto id = submit(b, s, "null", 5s);
  b.tick(now + 5s);
  ASSERT_EQ(s.results.size(), 1u);
  EXPECT_EQ(s.results[0].kind, ItemResult::Kind::timeout);
  EXPECT_EQ(s.results[0].id, id);
  EXPECT_FALSE(s.results[0].was_leased);
  EXPECT_EQ(b.items(), 0u);
  EXPECT_TRUE(b.lease("q", "w", 1, std::nullopt, 0s, now + 5s, {}).items.empty());
  EXPECT_EQ(stats(b).counters.timeouts, 1u);
}

TEST_F(BrokerTest, SubmitTimeoutWhileLeasedDiscardsTheResult) {
  Broker b(config());
  Submitter s;
  submit(b, s, "null", 5s);
  auto item = lease_one(b);
  now += 5s;
  b.tick(now);
  ASSERT_EQ(s.results.size(), 1u);
  EXPECT_EQ(s.results[0].kind, ItemResult::Kind::timeout);
  EXPECT_TRUE(s.results[0].was_leased);
  EXPECT_TRUE(b.heartbeat(item.lease, std::nullopt, now).cancelled);
  auto done = b.complete(item.lease, true, "null", "", now);
  EXPECT_EQ(done.status, Status::ok);
  EXPECT_FALSE(done.delivered);
  EXPECT_EQ(s.results.size(), 1u);
  EXPECT_EQ(b.items(), 0u);
  EXPECT_EQ(stats(b).counters.discarded, 1u);
}

TEST_F(BrokerTest, ClientGoneWhileWaitingDropsTheItem) {
  Broker b(config());
  Submitter s;
  auto id = submit(b, s);
  b.client_gone(id, now);
  b.client_gone(id, now);  // twice is harmless
  EXPECT_EQ(b.items(), 0u);
  EXPECT_TRUE(s.results.empty());
  auto st = stats(b);
  EXPECT_EQ(st.waiting, 0u);
  EXPECT_EQ(st.counters.disconnects, 1u);
  EXPECT_FALSE(b.next_deadline().has_value());
}

TEST_F(BrokerTest, ClientGoneWhileLeasedCancelsAndDiscards) {
  Broker b(config());
  Submitter s;
  auto id = submit(b, s);
  auto item = lease_one(b);
  b.client_gone(id, now);
  EXPECT_TRUE(b.heartbeat(item.lease, std::nullopt, now).cancelled);
  EXPECT_FALSE(b.complete(item.lease, true, "null", "", now).delivered);
  EXPECT_TRUE(s.results.empty());
  EXPECT_EQ(b.items(), 0u);
}

TEST_F(BrokerTest, AbandonedItemIsNotRetriedWhenItsLeaseExpires) {
  Broker b(config());
  Submitter s;
  auto id = submit(b, s);
  lease_one(b);
  b.client_gone(id, now);
  b.tick(now + 10s);
  EXPECT_EQ(b.items(), 0u);
  EXPECT_EQ(stats(b).waiting, 0u);
  EXPECT_TRUE(s.results.empty());
}

TEST_F(BrokerTest, DrainRefusesSubmitsButServesWhatWasAccepted) {
  Broker b(config());
  Submitter s;
  submit(b, s);
  submit(b, s);
  b.start_drain();
  EXPECT_EQ(b.submit("q", "null", 60s, now, s.callback()).status, Status::draining);
  EXPECT_EQ(stats(b).counters.rejected_draining, 1u);
  auto item = lease_one(b);
  b.complete(item.lease, true, "null", "", now);
  EXPECT_EQ(s.results.size(), 1u);
  EXPECT_EQ(b.items(), 1u);
  Poller p;
  b.lease("other", "w", 1, std::nullopt, 20s, now, p.callback());
  b.shut_down();
  ASSERT_EQ(s.results.size(), 2u);
  EXPECT_EQ(s.results[1].kind, ItemResult::Kind::shutdown);
  EXPECT_EQ(p.calls, 1);
  EXPECT_EQ(p.status, Status::shutting_down);
  EXPECT_EQ(b.items(), 0u);
  EXPECT_EQ(b.lease("q", "w", 1, std::nullopt, 0s, now, {}).status, Status::shutting_down);
  EXPECT_EQ(b.submit("q", "null", 60s, now, s.callback()).status, Status::shutting_down);
  EXPECT_EQ(stats(b).counters.failed_shutdown, 1u);
}

TEST_F(BrokerTest, QueuesAreNamedOrCreatedOnDemand) {
  Broker fixed(config());
  Submitter s;
  EXPECT_EQ(fixed.submit("nope", "null", 60s, now, s.callback()).status, Status::unknown_queue);
  EXPECT_EQ(fixed.lease("nope", "w", 1, std::nullopt, 0s, now, {}).status, Status::unknown_queue);
  EXPECT_EQ(fixed.submit("bad name", "null", 60s, now, s.callback()).status, Status::invalid_queue_name);
  auto c = config();
  c.create_on_demand = true;
  c.max_queues = 3;
  Broker open(c);
  EXPECT_EQ(open.submit("new", "null", 60s, now, s.callback()).status, Status::ok);
  EXPECT_EQ(open.stats(now).size(), 3u);
  EXPECT_EQ(open.open_queue("fourth"), Status::too_many_queues);
  EXPECT_EQ(open.open_queue("bad/name"), Status::invalid_queue_name);
  c.queues = {"ok", "no spaces"};
  EXPECT_THROW(Broker{c}, UsageError);
}

TEST_F(BrokerTest, WorkersAreCountedWhileActiveAndForAWhileAfter) {
  Broker b(config());
  Submitter s;
  submit(b, s);
  lease_one(b, "w1");
  b.lease("q", "w2", 1, std::nullopt, 20s, now, {});
  EXPECT_EQ(stats(b).workers, 2u);
  EXPECT_EQ(stats(b).polling, 1u);
  now += 30min;  // w1 still holds its (expired, not yet ticked) lease; w2 still polls
  EXPECT_EQ(stats(b).workers, 2u);
  b.tick(now);  // w1's lease expires unheard; w2's poll ends, so w2 was active until now
  EXPECT_EQ(stats(b).workers, 1u);
  now += 60s;
  EXPECT_EQ(stats(b).workers, 0u);
}

TEST_F(BrokerTest, OldestWaitingAgeIsTheHeadItems) {
  Broker b(config());
  Submitter s;
  EXPECT_EQ(stats(b).oldest_waiting_seconds, 0.0);
  submit(b, s);
  now += 3s;
  submit(b, s);
  EXPECT_DOUBLE_EQ(stats(b).oldest_waiting_seconds, 3.0);
}

TEST(Ids, AreUniqueHexAndRoundTrip) {
  IdSequence seq(7);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 10000; ++i) {
    auto id = seq.next();
    EXPECT_TRUE(seen.insert(id).second);
    auto text = format_id(id);
    ASSERT_EQ(text.size(), 16u);
    EXPECT_EQ(parse_id(text), id);
  }
  EXPECT_FALSE(parse_id("123"));
  EXPECT_FALSE(parse_id("ABCDEF0123456789"));  // lowercase only
  EXPECT_FALSE(parse_id("zzzzzzzzzzzzzzzz"));
}

}  // namespace
}  // namespace kb::queue
