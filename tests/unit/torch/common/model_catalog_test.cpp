#include "torch/common/model_catalog.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace coldbench::workload {
namespace {
namespace fs = std::filesystem;

constexpr const char* kSidecar = R"({
  "name": "tiny", "input_shape": [1, 3, 8, 8], "dtype": "float32", "seed": 7,
  "parameters": 12, "flops_per_sample": 1000,
  "input": {"sum": 95.5},
  "reference": {"shape": [1, 2], "numel": 2, "sum": 0.5, "abs_sum": 0.7, "max_abs": 0.6,
                "argmax": 0, "values": [0.6, -0.1]},
  "exported_with": {"torch": "1.13.0", "torchvision": "0.14.1"},
  "regenerate": "python3 models/export.py --out-dir DIR --only tiny"
})";

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("cb_torch_catalog_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "a");
    fs::create_directories(root_ / "b");
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }
  fs::path root_;
};

TEST(ParseSidecar, ReadsEveryField) {
  auto sidecar = parse_sidecar(kSidecar, "test");
  ASSERT_TRUE(sidecar.ok()) << sidecar.error().message;
  EXPECT_EQ(sidecar->name, "tiny");
  EXPECT_EQ(sidecar->input_shape, (std::vector<int64_t>{1, 3, 8, 8}));
  EXPECT_EQ(sidecar->sample_shape(), (std::vector<int64_t>{3, 8, 8}));
  EXPECT_EQ(sidecar->seed, 7u);
  EXPECT_DOUBLE_EQ(*sidecar->input_sum, 95.5);
  ASSERT_TRUE(sidecar->reference.has_value());
  EXPECT_EQ(sidecar->reference->values.size(), 2u);
  EXPECT_EQ(*sidecar->parameters, 12);
  EXPECT_DOUBLE_EQ(*sidecar->flops_per_sample, 1000);
  EXPECT_EQ(sidecar->exported_with, "torch 1.13.0, torchvision 0.14.1");
}

TEST(ParseSidecar, RejectsBrokenJsonAndBadShapes) {
  for (const char* bad :
       {"{", "[]", R"({"input_shape": [3]})", R"({"input_shape": [1, 0, 4]})",
        R"({"input_shape": "1,3"})", R"({"input_shape": [1, 3], "dtype": "int8"})"}) {
    auto sidecar = parse_sidecar(bad, "x.json");
    ASSERT_FALSE(sidecar.ok()) << bad;
    EXPECT_NE(sidecar.error().message.find("x.json"), std::string::npos);
    EXPECT_NE(sidecar.error().message.find("fix:"), std::string::npos);
  }
}

TEST(ModelSearchPath, EnvironmentOverridesEverything) {
  ModelSearchPath search = model_search_path("/custom", "/opt/cb", "/build/models");
  ASSERT_EQ(search.dirs.size(), 1u);
  EXPECT_EQ(search.dirs[0], fs::path("/custom"));
  EXPECT_EQ(search.origin, "COLDBENCH_MODELS_DIR");
}

TEST(ModelSearchPath, ExecutableDirThenBuildTree) {
  ModelSearchPath search = model_search_path(nullptr, "/opt/cb", "/build/models");
  ASSERT_EQ(search.dirs.size(), 2u);
  EXPECT_EQ(search.dirs[0], fs::path("/opt/cb/models"));
  EXPECT_EQ(search.dirs[1], fs::path("/build/models"));
  // In the build tree both are the same directory: listed once.
  EXPECT_EQ(model_search_path("", "/build", "/build/models").dirs.size(), 1u);
}

TEST_F(TempDir, ResolvesANameInTheFirstDirectoryThatHasIt) {
  write(root_ / "a" / "tiny.pt", "a");
  write(root_ / "b" / "tiny.pt", "bb");
  write(root_ / "a" / "tiny.json", kSidecar);
  ModelSearchPath search{{root_ / "a", root_ / "b"}, "test"};
  auto model = resolve_model("tiny", search);
  ASSERT_TRUE(model.ok()) << model.error().message;
  EXPECT_EQ(model->path, root_ / "a" / "tiny.pt");
  EXPECT_TRUE(model->from_catalog);
  ASSERT_TRUE(model->sidecar.has_value());
  EXPECT_EQ(model->sidecar->seed, 7u);
}

TEST_F(TempDir, UnknownNameListsWhatIsAvailable) {
  write(root_ / "a" / "tiny.pt", "a");
  write(root_ / "b" / "other.pt", "b");
  ModelSearchPath search{{root_ / "a", root_ / "b"}, "test"};
  auto model = resolve_model("resnet", search);
  ASSERT_FALSE(model.ok());
  const std::string& message = model.error().message;
  EXPECT_NE(message.find("'resnet'"), std::string::npos);
  EXPECT_NE(message.find("other, tiny"), std::string::npos);
  EXPECT_NE(message.find((root_ / "a").string()), std::string::npos);
  EXPECT_NE(message.find("fix:"), std::string::npos);
  EXPECT_EQ(model.error().exit_code, kExitUsage);
}

TEST_F(TempDir, PathsWorkWithOrWithoutSidecar) {
  write(root_ / "mine.pt", "x");
  ModelSearchPath search{{}, "test"};
  auto model = resolve_model((root_ / "mine.pt").string(), search);
  ASSERT_TRUE(model.ok());
  EXPECT_FALSE(model->from_catalog);
  EXPECT_FALSE(model->sidecar.has_value());
  EXPECT_EQ(model->name, "mine");

  auto missing = resolve_model((root_ / "nothere.pt").string(), search);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("does not exist"), std::string::npos);
  // A .pt suffix makes it a path even without a slash.
  EXPECT_FALSE(resolve_model("nothere.pt", search).ok());
}

TEST_F(TempDir, BrokenSidecarNextToAPathIsAnError) {
  write(root_ / "mine.pt", "x");
  write(root_ / "mine.json", "{not json");
  auto model = resolve_model((root_ / "mine.pt").string(), ModelSearchPath{{}, "test"});
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.error().message.find("mine.json"), std::string::npos);
}

TEST_F(TempDir, ListingIsSortedAndEarlierDirectoriesWin) {
  write(root_ / "a" / "zeta.pt", "1");
  write(root_ / "a" / "alpha.pt", "22");
  write(root_ / "a" / "alpha.json", kSidecar);
  write(root_ / "a" / "notes.txt", "x");
  write(root_ / "b" / "alpha.pt", "333");
  write(root_ / "b" / "beta.pt", "4444");
  write(root_ / "b" / "beta.json", "{broken");
  auto entries = list_models(ModelSearchPath{{root_ / "a", root_ / "b", root_ / "missing"}, "t"});
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].name, "alpha");
  EXPECT_EQ(entries[0].size_bytes, 2);
  EXPECT_TRUE(entries[0].sidecar.has_value());
  EXPECT_EQ(entries[1].name, "beta");
  EXPECT_FALSE(entries[1].sidecar.has_value());
  EXPECT_FALSE(entries[1].sidecar_error.empty());
  EXPECT_EQ(entries[2].name, "zeta");
}

}  // namespace
}  // namespace coldbench::workload
