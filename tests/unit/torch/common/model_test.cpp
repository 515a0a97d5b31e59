// LibTorch round trip on the tiny test model exported at build time. This
// file includes no LibTorch header; it goes through common/model.hpp.
#include "torch/common/model.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "torch/common/model_catalog.hpp"
#include "torch/infer/accuracy.hpp"

namespace coldbench::workload {
namespace {
namespace fs = std::filesystem;

const fs::path kModelsDir = COLDBENCH_TORCH_TEST_MODELS_DIR;

class TinyModel : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = kModelsDir / "tiny_cnn.pt";
    ASSERT_TRUE(fs::exists(path_)) << path_ << " is built by the coldbench_torch_models target";
    auto sidecar = load_sidecar(kModelsDir / "tiny_cnn.json");
    ASSERT_TRUE(sidecar.ok()) << sidecar.error().message;
    sidecar_ = *sidecar;
  }
  std::vector<int64_t> shape(int64_t batch) const {
    std::vector<int64_t> out{batch};
    auto sample = sidecar_.sample_shape();
    out.insert(out.end(), sample.begin(), sample.end());
    return out;
  }
  fs::path path_;
  ModelSidecar sidecar_;
};

TEST_F(TinyModel, EveryModeReproducesTheSidecarReference) {
  auto model = TorchModel::load(path_);
  ASSERT_TRUE(model.ok()) << model.error().message;
  auto input = InputBatch::make(shape(1), sidecar_.seed, false);
  ASSERT_TRUE(input.ok());
  ASSERT_TRUE(sidecar_.input_sum.has_value());
  EXPECT_NEAR(input->first_sample_sum(), *sidecar_.input_sum, 1e-6 * *sidecar_.input_sum);
  for (Mode mode : {Mode::kScript, Mode::kFrozen, Mode::kOptimized}) {
    auto prepared = model->prepare(mode, PrepareOptions{});
    ASSERT_TRUE(prepared.ok()) << prepared.error().message;
    ASSERT_TRUE(prepared->forward(*input).ok());
    auto output = prepared->last_output();
    ASSERT_TRUE(output.ok());
    ReferenceCheck check = check_reference(*sidecar_.reference, *output, 1, 1e-4);
    EXPECT_EQ(check.status, ReferenceCheck::Status::kPassed)
        << mode_name(mode) << ": " << check.detail;
  }
}

TEST_F(TinyModel, SampleZeroOfABatchIsTheBatchOneInput) {
  auto one = InputBatch::make(shape(1), 3, false);
  auto four = InputBatch::make(shape(4), 3, true);
  ASSERT_TRUE(one.ok() && four.ok());
  EXPECT_DOUBLE_EQ(one->first_sample_sum(), four->first_sample_sum());
  EXPECT_EQ(four->shape(), shape(4));
}

TEST_F(TinyModel, WrongInputShapeIsAShortError) {
  auto model = TorchModel::load(path_);
  ASSERT_TRUE(model.ok());
  auto prepared = model->prepare(Mode::kScript, PrepareOptions{});
  ASSERT_TRUE(prepared.ok());
  auto input = InputBatch::make({1, 2, 32, 32}, 0, false);
  ASSERT_TRUE(input.ok());
  auto result = prepared->forward(*input);
  ASSERT_FALSE(result.ok());
  const std::string& message = result.error().message;
  EXPECT_NE(message.find("[1, 2, 32, 32]"), std::string::npos) << message;
  EXPECT_NE(message.find("channels"), std::string::npos) << message;
  EXPECT_EQ(message.find("Exception raised from"), std::string::npos) << message;
  EXPECT_EQ(message.find("Traceback"), std::string::npos) << message;
}

TEST(TorchModelLoad, CorruptAndMissingFilesAreShortErrors) {
  fs::path corrupt =
      fs::temp_directory_path() / ("cb_corrupt_" + std::to_string(::getpid()) + ".pt");
  std::ofstream(corrupt) << "not a zip archive";
  auto model = TorchModel::load(corrupt);
  fs::remove(corrupt);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.error().message.find("cannot load"), std::string::npos);
  EXPECT_NE(model.error().message.find("fix:"), std::string::npos);
  EXPECT_EQ(model.error().message.find("Exception raised from"), std::string::npos);
  EXPECT_FALSE(TorchModel::load("/nonexistent/model.pt").ok());
}

TEST(InputBatchMake, ChannelsLastNeeds4D) {
  auto input = InputBatch::make({1, 3, 32}, 0, true);
  ASSERT_FALSE(input.ok());
  EXPECT_NE(input.error().message.find("4-D"), std::string::npos);
}

}  // namespace
}  // namespace coldbench::workload
