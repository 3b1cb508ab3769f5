#include "queue/bearer_auth.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "support/test_support.h"

namespace kb::queue {
namespace {

TEST(BearerAuth, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(constant_time_equal("secret", "secret2"));
  EXPECT_FALSE(constant_time_equal("", "x"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

TEST(BearerAuth, HeaderMatching) {
  EXPECT_TRUE(bearer_matches("Bearer abc", "abc"));
  EXPECT_TRUE(bearer_matches("bearer  abc ", "abc"));
  EXPECT_FALSE(bearer_matches("Basic abc", "abc"));
  EXPECT_FALSE(bearer_matches("Bearer", "abc"));
  EXPECT_FALSE(bearer_matches("", "abc"));
  EXPECT_FALSE(bearer_matches("Bearer abd", "abc"));
}

TEST(BearerAuth, WhoMayDoWhat) {
  AccessTokens open;
  EXPECT_TRUE(open.client_allowed(""));
  EXPECT_TRUE(open.worker_allowed(""));
  AccessTokens client_only{std::string("c"), std::nullopt};
  EXPECT_FALSE(client_only.client_allowed(""));
  EXPECT_TRUE(client_only.client_allowed("Bearer c"));
  EXPECT_TRUE(client_only.worker_allowed("Bearer c"));  // workers fall back to the client token
  EXPECT_FALSE(client_only.worker_allowed(""));
  AccessTokens both{std::string("c"), std::string("w")};
  EXPECT_FALSE(both.client_allowed("Bearer w"));
  EXPECT_FALSE(both.worker_allowed("Bearer c"));
  EXPECT_TRUE(both.worker_allowed("Bearer w"));
  EXPECT_TRUE(both.reader_allowed("Bearer w"));
  EXPECT_TRUE(both.reader_allowed("Bearer c"));
  EXPECT_FALSE(both.reader_allowed("Bearer x"));
}

TEST(BearerAuth, TokenFiles) {
  test::TempDir dir;
  test::write_text(dir / "t", "  s3cret\n");
  EXPECT_EQ(read_token_file(dir / "t"), "s3cret");
  test::write_text(dir / "empty", "\n");
  EXPECT_THROW(read_token_file(dir / "empty"), UsageError);
  EXPECT_THROW(read_token_file(dir / "missing"), EnvironmentError);
}

}  // namespace
}  // namespace kb::queue
