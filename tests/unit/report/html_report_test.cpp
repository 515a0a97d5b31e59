#include "report/html_report.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "report/report_charts.hpp"
#include "report/study_table.hpp"

namespace coldbench::report {
namespace {

namespace fs = std::filesystem;

ResultsDocument two_configs(int latency_values) {
  ResultsDocument doc;
  doc.commands = {{"a", "a", {"a"}, false}, {"b<x>", "b", {"b"}, false}};
  int sequence = 0;
  for (int i = 0; i < 5; ++i) {
    for (int c = 0; c < 2; ++c) {
      RunRecord run;
      run.command = doc.commands[c].name;
      run.command_index = c;
      run.index = i;
      run.sequence = sequence++;
      run.warmup = i == 0;
      run.phases = {{"runtime_ready", 20.0 + c + i, 20.0 + c + i},
                    {"inference_done", 30.0 + c + i, 10.0}};
      run.wall_ms = 31.0 + c + i;
      MetricRecord latency{"latency", "ms", {}};
      for (int k = 0; k < latency_values; ++k) latency.values.push_back(1.0 + 0.001 * k + c);
      run.metrics.push_back(latency);
      doc.runs.push_back(std::move(run));
    }
  }
  return doc;
}

WebAssets fake_assets() {
  return WebAssets{
      "/fake",
      {{"vega", "1.0.0", "/fake/vega.js", "var vega = {}; // '</script>' in a string"},
       {"vega-lite", "2.0.0", "/fake/vega-lite.js", "var vegaLite = {};"},
       {"vega-embed", "3.0.0", "/fake/vega-embed.js", "var vegaEmbed = function () {};"}}};
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

TEST(HtmlReport, EscapesTextAndScripts) {
  EXPECT_EQ(html_escape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
  EXPECT_EQ(script_safe("x = '</script>'; y = '</SCRIPT>'"),
            "x = '<\\/script>'; y = '<\\/SCRIPT>'");
}

TEST(HtmlReport, PageIsSelfContainedWithChartsDataAndStatus) {
  const auto doc = two_configs(10);
  const auto summary = analysis::summarize_session(doc);
  auto page = HtmlReporter(fake_assets()).render(doc, &summary);
  ASSERT_TRUE(page);
  // Every <script> closes exactly once: the inlined library could not end its element early.
  EXPECT_EQ(count(*page, "<script"), count(*page, "</script>"));
  EXPECT_EQ(count(*page, " src="), 0u);  // nothing loaded from elsewhere
  EXPECT_EQ(count(*page, "http://"), 0u);
  EXPECT_NE(page->find("vega 1.0.0 (npm), inlined by coldbench"), std::string::npos);
  EXPECT_NE(page->find("id=\"render-status\""), std::string::npos);
  for (const char* id : {"chart-phases", "chart-latency", "chart-run-order", "chart-cold-start"}) {
    EXPECT_NE(page->find(std::string("id=\"") + id + "\""), std::string::npos) << id;
  }
  EXPECT_NE(page->find("<td>b&lt;x&gt;</td>"),
            std::string::npos);  // config names escaped in the table

  const std::string open = "<script type=\"application/json\" id=\"coldbench-data\">";
  auto start = page->find(open);
  ASSERT_NE(start, std::string::npos);
  start += open.size();
  auto end = page->find("</script>", start);
  const std::string embedded = page->substr(start, end - start);
  EXPECT_EQ(embedded.find('<'), std::string::npos);
  auto data = nlohmann::json::parse(embedded);
  ASSERT_EQ(data["charts"].size(), 4u);
  EXPECT_EQ(data["charts"][0]["id"], "chart-phases");
  EXPECT_EQ(data["configs"].size(), 2u);
  EXPECT_EQ(data["configs"][1]["config"], "b<x>");
}

TEST(HtmlReport, ChartsCarryTheirDataAndSubsampleLatency) {
  const auto doc = two_configs(1000);  // 4 measured runs x 1000 values per config
  const auto summary = analysis::summarize_session(doc);
  const auto table = build_study_table(doc, summary);
  ChartOptions options;
  options.max_points_per_config = 500;
  const auto charts = build_report_charts(doc, summary, table, options);
  ASSERT_EQ(charts.size(), 4u);
  EXPECT_EQ(charts[0].spec["data"]["values"].size(), 4u);  // 2 configs x 2 phases
  EXPECT_EQ(charts[0].spec["encoding"]["color"]["scale"]["domain"][0], "runtime_ready");
  EXPECT_EQ(charts[1].spec["data"]["values"].size(), 1000u);  // 2 configs x 500 points
  EXPECT_EQ(charts[1].spec["mark"]["type"], "boxplot");
  EXPECT_EQ(charts[2].spec["data"]["values"].size(),
            20u);  // 10 runs (warmups too) x wall + first phase
  EXPECT_EQ(charts[3].spec["layer"].size(), 2u);
  for (const auto& chart : charts)
    EXPECT_EQ(chart.spec["$schema"], "https://vega.github.io/schema/vega-lite/v6.json");
}

TEST(HtmlReport, ChartsWithoutDataAreLeftOut) {
  auto doc = two_configs(3);
  for (auto& run : doc.runs) run.error = "crashed (signal 11)";
  const auto summary = analysis::summarize_session(doc);
  const auto charts = build_report_charts(doc, summary, build_study_table(doc, summary));
  ASSERT_EQ(charts.size(), 1u);  // only the run order: failed runs are drawn there
  EXPECT_EQ(charts[0].id, "chart-run-order");
  auto page = HtmlReporter(fake_assets()).render(doc, &summary);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->find("id=\"chart-phases\""), std::string::npos);
}

TEST(HtmlReport, SubsampleKeepsTheExtremesInOrder) {
  std::vector<double> values;
  for (int i = 999; i >= 0; --i) values.push_back(i);
  auto picked = subsample_sorted(values, 101);
  ASSERT_EQ(picked.size(), 101u);
  EXPECT_EQ(picked.front(), 0);
  EXPECT_EQ(picked.back(), 999);
  EXPECT_TRUE(std::is_sorted(picked.begin(), picked.end()));
  EXPECT_EQ(subsample_sorted({3, 1, 2}, 10), (std::vector<double>{1, 2, 3}));
}

class WebAssetsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cb-web-" + std::to_string(::getpid()));
    for (const auto& [package, file] :
         {std::pair{"vega", "vega.min.js"}, std::pair{"vega-lite", "vega-lite.min.js"},
          std::pair{"vega-embed", "vega-embed.min.js"}}) {
      fs::create_directories(dir_ / "node_modules" / package / "build");
      std::ofstream(dir_ / "node_modules" / package / "build" / file) << "/* " << package << " */";
      std::ofstream(dir_ / "node_modules" / package / "package.json") << R"({"version": "9.8.7"})";
    }
  }
  void TearDown() override {
    fs::remove_all(dir_);
    ::unsetenv("COLDBENCH_WEB_DIR");
  }
  fs::path dir_;
};

TEST_F(WebAssetsTest, TheEnvironmentsFolderIsTheOnlyOneSearched) {
  ::setenv("COLDBENCH_WEB_DIR", dir_.c_str(), 1);
  EXPECT_EQ(web_asset_search_path(), std::vector<std::string>{dir_.string()});
  auto assets = load_web_assets();
  ASSERT_TRUE(assets) << assets.error().message;
  EXPECT_EQ(assets->directory, (dir_ / "node_modules").string());
  ASSERT_EQ(assets->scripts.size(), 3u);
  EXPECT_EQ(assets->scripts[2].package, "vega-embed");
  EXPECT_EQ(assets->scripts[2].version, "9.8.7");
  EXPECT_EQ(assets->scripts[0].source, "/* vega */");
}

TEST_F(WebAssetsTest, NotFoundNamesTheFolderAndTheFix) {
  ::setenv("COLDBENCH_WEB_DIR", (dir_ / "nowhere").c_str(), 1);
  auto assets = load_web_assets();
  ASSERT_FALSE(assets);
  EXPECT_NE(assets.error().message.find((dir_ / "nowhere").string()), std::string::npos);
  EXPECT_NE(assets.error().message.find("scripts/bootstrap"), std::string::npos);
  EXPECT_FALSE(make_html_reporter());
}

TEST_F(WebAssetsTest, MissingPackageNamesIt) {
  fs::remove_all(dir_ / "node_modules" / "vega-lite");
  auto assets = load_web_assets_from(dir_.string());
  ASSERT_FALSE(assets);
  EXPECT_NE(assets.error().message.find("'vega-lite'"), std::string::npos)
      << assets.error().message;
}

}  // namespace
}  // namespace coldbench::report
