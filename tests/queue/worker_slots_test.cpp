// Slot accounting, device assignment per slot, and the retry backoff.
#include <gtest/gtest.h>

#include "core/error.h"
#include "queue/backoff.h"
#include "queue/worker_slots.h"
#include "support/test_support.h"

namespace kb::queue {
namespace {

TEST(SlotTable, AcquiresUntilFullAndReleases) {
  SlotTable slots(3);
  EXPECT_EQ(slots.free(), 3);
  EXPECT_EQ(slots.acquire(), 0);
  EXPECT_EQ(slots.acquire(), 1);
  EXPECT_EQ(slots.acquire(), 2);
  EXPECT_EQ(slots.acquire(), std::nullopt);
  EXPECT_EQ(slots.free(), 0);
  slots.release(1);
  EXPECT_EQ(slots.free(), 1);
  slots.release(1);  // twice: no double credit
  slots.release(7);  // out of range: ignored
  EXPECT_EQ(slots.free(), 1);
  EXPECT_EQ(slots.acquire(), 1);
  EXPECT_TRUE(slots.busy(1));
}

TEST(SlotTable, DevicesRoundRobinOverSlots) {
  SlotTable slots(5, {"/dev/dri/renderD128", "/dev/dri/renderD129"});
  EXPECT_EQ(slots.device(0), "/dev/dri/renderD128");
  EXPECT_EQ(slots.device(1), "/dev/dri/renderD129");
  EXPECT_EQ(slots.device(4), "/dev/dri/renderD128");
  SlotTable none(2);
  EXPECT_EQ(none.device(1), "");
}

TEST(DeviceGlob, SortedMatchesOrAnError) {
  test::TempDir dir;
  for (auto name : {"renderD129", "renderD128", "card0"}) test::write_text(dir / name, "");
  auto found = expand_device_glob((dir.path() / "renderD*").string());
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0], (dir.path() / "renderD128").string());
  EXPECT_TRUE(expand_device_glob("").empty());
  EXPECT_THROW(expand_device_glob((dir.path() / "nothing*").string()), EnvironmentError);
}

TEST(Backoff, GrowsToTheCapWithJitterAndResets) {
  using std::chrono::milliseconds;
  Backoff b(milliseconds(100), milliseconds(1000), 42);
  std::vector<long long> delays;
  for (int i = 0; i < 10; ++i) delays.push_back(b.next().count());
  // Step i is min(100·2^i, 1000); the delay is in [step/2, step].
  long long step = 100;
  for (auto d : delays) {
    EXPECT_GE(d, step / 2);
    EXPECT_LE(d, step);
    step = std::min<long long>(step * 2, 1000);
  }
  EXPECT_EQ(b.failures(), 10);
  b.reset();
  EXPECT_EQ(b.failures(), 0);
  EXPECT_LE(b.next().count(), 100);
}

}  // namespace
}  // namespace kb::queue
