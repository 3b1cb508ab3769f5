#include "core/http_router.h"

#include <gtest/gtest.h>

namespace kb {
namespace {

TEST(HttpRouter, MatchesMethodsPathsAndParams) {
  HttpRouter r;
  int items = r.add("POST", "/v1/queues/{queue}/items");
  int list = r.add("GET", "/v1/queues");
  int one = r.add("GET", "/v1/queues/{queue}");
  auto m = r.match("POST", "/v1/queues/sleep/items");
  EXPECT_EQ(m.route, items);
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0].first, "queue");
  EXPECT_EQ(m.params[0].second, "sleep");
  EXPECT_EQ(r.match("GET", "/v1/queues").route, list);
  EXPECT_EQ(r.match("GET", "/v1/queues/a%2Fb").params[0].second, "a/b");
  EXPECT_EQ(r.match("GET", "/v1/queues/x").route, one);
  auto wrong = r.match("GET", "/v1/queues/sleep/items");
  EXPECT_EQ(wrong.route, -1);
  EXPECT_EQ(wrong.allow, "POST");
  auto none = r.match("GET", "/nope");
  EXPECT_EQ(none.route, -1);
  EXPECT_TRUE(none.allow.empty());
  EXPECT_EQ(r.match("GET", "/v1/queues//items").route, -1);  // an empty {param} does not match
  EXPECT_EQ(r.match("GET", "/v1/queues/%zz").route, -1);
  EXPECT_EQ(r.match("GET", "/v1/queues/").route, -1);
}

TEST(HttpRouter, QueryParams) {
  EXPECT_EQ(query_param("a=1&value=3&type=json", "value"), "3");
  EXPECT_EQ(query_param("x=a+b%21", "x"), "a b!");
  EXPECT_EQ(query_param("flag&x=1", "flag"), "");
  EXPECT_FALSE(query_param("a=1", "b"));
  EXPECT_FALSE(query_param("a=%4", "a"));
  EXPECT_EQ(percent_decode("%3Cscript%3E"), "<script>");
  EXPECT_FALSE(percent_decode("%"));
  EXPECT_FALSE(percent_decode("%a"));
}

}  // namespace
}  // namespace kb
