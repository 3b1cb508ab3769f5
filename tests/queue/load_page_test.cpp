// The load client's HTML page and summary: every worker-supplied value escaped.
#include <gtest/gtest.h>

#include "queue/load_page.h"
#include "queue/load_stats.h"
#include "queue/load_summary.h"

namespace kb::queue {
namespace {

using nlohmann::json;

TEST(HtmlEscape, EscapesEverythingSpecial) {
  EXPECT_EQ(html_escape("<img src=x onerror=\"alert(1)\">&'"), "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;");
  EXPECT_EQ(html_escape("plain-text_1.2"), "plain-text_1.2");
}

json hostile_stats() {
  LoadStats stats;
  RequestOutcome o;
  o.ok = true;
  o.latency_ms = 3;
  o.node = "<img src=x onerror=alert(1)>";
  o.pod = "<script>alert(2)</script>";
  o.device = "\"><svg onload=alert(3)>";
  stats.record(o);
  RequestOutcome bad;
  bad.reason = "workload_failed: </td><script>alert(4)</script>";
  stats.record(bad);
  auto doc = stats.snapshot();
  doc["queue"] = "q<b>";
  doc["broker"] = "127.0.0.1:1";
  doc["parallelism"] = 4;
  doc["max_parallelism"] = 16;
  doc["in_flight"] = 2;
  return doc;
}

TEST(LoadPage, NoWorkerTextReachesThePageRaw) {
  std::string page = render_load_page(hostile_stats());
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("<svg"), std::string::npos);
  EXPECT_EQ(page.find("q<b>"), std::string::npos);
  EXPECT_NE(page.find("q&lt;b&gt;"), std::string::npos);
  EXPECT_NE(page.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(2)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(page.find("&quot;&gt;&lt;svg onload=alert(3)&gt;"), std::string::npos);
  EXPECT_NE(page.find("&lt;/td&gt;&lt;script&gt;alert(4)"), std::string::npos);
  EXPECT_NE(page.find("100.0%"), std::string::npos);  // the node's share bar
}

TEST(LoadSummary, TablesWithoutControlCharacters) {
  auto doc = hostile_stats();
  doc["nodes"][0]["node"] = "evil\x1b[2Jnode";
  std::string text = load_summary_text(doc);
  EXPECT_NE(text.find("Overall request / reply statistics"), std::string::npos);
  EXPECT_NE(text.find("Backend / worker node statistics"), std::string::npos);
  EXPECT_NE(text.find("evil?[2Jnode"), std::string::npos);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_NE(text.find("Failures"), std::string::npos);
}

}  // namespace
}  // namespace kb::queue
