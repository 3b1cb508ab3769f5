#include "core/output.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "core/error.h"
#include "core/text.h"

namespace kb {
namespace {

TEST(Output, TableAlignsColumnsAndRightAlignsNumbers) {
  Table t{{"NAME", "FPS"}, {{"h264_1080p", "232.0"}, {"av1", "9.5"}}, {1}};
  EXPECT_EQ(t.render(), "NAME          FPS\nh264_1080p  232.0\nav1           9.5\n");
}

TEST(Output, CsvQuotesOnlyWhatNeedsIt) {
  Table t{{"a", "b"}, {{"plain", "has,comma"}, {"say \"hi\"", "line\nbreak"}}, {}};
  EXPECT_EQ(t.to_csv(), "a,b\nplain,\"has,comma\"\n\"say \"\"hi\"\"\",\"line\nbreak\"\n");
}

TEST(Output, YamlRoundTripsTypesAndQuotesAmbiguousStrings) {
  nlohmann::json doc = {{"n", 3}, {"f", 1.5}, {"yes_string", "true"}, {"num_string", "1.50"}, {"empty", ""},
                        {"null", nullptr}, {"list", {1, "two"}}, {"flag", false}, {"text", "plain words"}};
  auto node = YAML::Load(to_yaml(doc));
  EXPECT_EQ(node["n"].as<int>(), 3);
  EXPECT_DOUBLE_EQ(node["f"].as<double>(), 1.5);
  EXPECT_EQ(node["yes_string"].Tag(), "!");  // quoted: stays a string
  EXPECT_EQ(node["yes_string"].as<std::string>(), "true");
  EXPECT_EQ(node["num_string"].Tag(), "!");
  EXPECT_EQ(node["empty"].as<std::string>(), "");
  EXPECT_TRUE(node["null"].IsNull());
  EXPECT_EQ(node["list"][1].as<std::string>(), "two");
  EXPECT_FALSE(node["flag"].as<bool>());
  EXPECT_EQ(node["text"].as<std::string>(), "plain words");
}

TEST(Output, FormatParsingNamesTheChoices) {
  EXPECT_EQ(parse_output_format("json", {OutputFormat::table, OutputFormat::json}), OutputFormat::json);
  try {
    parse_output_format("xml", {OutputFormat::table, OutputFormat::json});
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("table|json"), std::string::npos);
  }
}

TEST(Text, StrictNumbers) {
  EXPECT_EQ(parse_double(" 12.5 "), 12.5);
  EXPECT_FALSE(parse_double("12.5x"));
  EXPECT_FALSE(parse_double(""));
  EXPECT_EQ(parse_int("42"), 42);
  EXPECT_FALSE(parse_int("4 2"));
}

TEST(Text, LastLinesKeepsTheFinalRewriteOfProgressLines) {
  EXPECT_EQ(last_lines("a\nframe=1\rframe=2\rerror here\n\n", 2), "a | error here");
}

}  // namespace
}  // namespace kb
