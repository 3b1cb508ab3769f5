// parse_json_without: the DOM of the text less the dropped members, at any depth; field().
#include "core/json_field.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace kb {
namespace {

using nlohmann::json;

TEST(ParseJsonWithout, DropsMembersAtAnyDepthAndKeepsTheRest) {
  const std::string text = R"({"kind":"PodList","metadata":{"continue":"x"},"items":[
    {"metadata":{"name":"a","managedFields":[{"manager":"kubectl","fieldsV1":{"f:spec":{}}}],"labels":{"app":"a"}},
     "spec":{"containers":[{"name":"c","env":[{"name":"N","value":"1"}],"resources":{"limits":{"nvidia.com/gpu":"1"}}}],
             "tolerations":[{"key":"k"}]},
     "status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}},
    {"metadata":{"name":"b"},"spec":{"nodeName":"n","x":[1,2.5,-3,true,null,"s",[[]],{}]},"status":{"phase":"Pending"}}]})";
  const auto full = json::parse(text);
  auto expected = full;
  expected["items"][0]["metadata"].erase("managedFields");
  expected["items"][0]["status"].erase("conditions");
  expected["items"][0]["spec"].erase("tolerations");
  EXPECT_EQ(parse_json_without(text, {"managedFields", "conditions", "tolerations"}), expected);
  EXPECT_EQ(parse_json_without(text, {}), full);
  EXPECT_EQ(parse_json_without("[1,{\"drop\":{\"a\":[1]},\"keep\":2}]", {"drop"}), json::parse("[1,{\"keep\":2}]"));
  EXPECT_EQ(parse_json_without("\"scalar\"", {"x"}), "scalar");
  EXPECT_THROW(parse_json_without("{\"a\":", {"a"}), ParseError);
  EXPECT_THROW(parse_json_without("not json", {}), ParseError);
}

TEST(Field, ByReferenceOrAnEmptyObject) {
  const json pod = {{"spec", {{"nodeName", "n"}}}, {"n", 1}};
  EXPECT_EQ(&field(pod, "spec"), &pod["spec"]);
  EXPECT_TRUE(field(pod, "status").is_object());
  EXPECT_TRUE(field(pod, "status").empty());
  EXPECT_EQ(field(json::array(), "x"), json::object());
  EXPECT_EQ(string_field(field(pod, "spec"), "nodeName"), "n");
  EXPECT_EQ(string_field(pod, "n"), "");
  EXPECT_EQ(string_field(pod, "missing"), "");
}

}  // namespace
}  // namespace kb
