#include "media/concurrency_search.h"

#include <gtest/gtest.h>

namespace kb::media {
namespace {

// A machine that holds real time up to `limit` streams; records which levels were tried.
struct FakeMachine {
  int limit;
  std::vector<int> tried;
  ConcurrencyLevel operator()(int n) {
    tried.push_back(n);
    ConcurrencyLevel l;
    l.streams = n;
    l.realtime = n <= limit;
    l.min_speed = 10.0 / n;
    return l;
  }
};

ConcurrencyResult search(FakeMachine& m, int cap) {
  ConcurrencyResult r;
  search_max_streams(r, cap, std::ref(m));
  return r;
}

TEST(ConcurrencySearch, DoublesThenBisects) {
  FakeMachine m{11, {}};
  auto r = search(m, 64);
  EXPECT_EQ(r.max_realtime_streams, 11);
  EXPECT_FALSE(r.capped);
  EXPECT_EQ(m.tried, (std::vector<int>{1, 2, 4, 8, 16, 12, 10, 11}));
}

TEST(ConcurrencySearch, FindsEveryAnswerExactlyWithFewLevels) {
  for (int limit = 0; limit <= 40; ++limit) {
    FakeMachine m{limit, {}};
    auto r = search(m, 32);
    EXPECT_EQ(r.max_realtime_streams, std::min(limit, 32)) << "limit " << limit;
    EXPECT_EQ(r.capped, limit >= 32);
    EXPECT_LE(m.tried.size(), 12u) << "limit " << limit;  // linear search would need up to 33
    EXPECT_EQ(r.levels.size(), m.tried.size());
  }
}

TEST(ConcurrencySearch, CapIsTestedEvenWhenNotAPowerOfTwo) {
  FakeMachine m{100, {}};
  auto r = search(m, 10);
  EXPECT_EQ(m.tried, (std::vector<int>{1, 2, 4, 8, 10}));
  EXPECT_EQ(r.max_realtime_streams, 10);
  EXPECT_TRUE(r.capped);
}

TEST(ConcurrencySearch, NotEvenOneStreamInRealTime) {
  FakeMachine m{0, {}};
  auto r = search(m, 16);
  EXPECT_EQ(m.tried, (std::vector<int>{1}));
  EXPECT_EQ(r.max_realtime_streams, 0);
}

TEST(ConcurrencySearch, StopsWhenAskedTo) {
  FakeMachine m{50, {}};
  ConcurrencyResult r;
  int calls = 0;
  search_max_streams(r, 64, std::ref(m), [&] { return ++calls > 2; });
  EXPECT_EQ(m.tried, (std::vector<int>{1, 2}));
}

}  // namespace
}  // namespace kb::media
