#include "store/history.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "../cache/temp_dir.hpp"

namespace coldbench::store {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A history with one session of `runs` runs, closed (so its WAL is checkpointed into the file).
std::string make_history(const testing::TempDir& dir, int runs) {
  std::string path = dir.file("history.sqlite");
  auto history = History::open(path);
  EXPECT_TRUE(history.ok());
  SessionInfo info;
  info.experiment = "study";
  info.started_at = "2024-01-01T00:00:00Z";
  auto id = (*history)->begin_session(info, ResultsDocument{});
  EXPECT_TRUE(id.ok());
  for (int i = 0; i < runs; ++i) {
    RunRecord run;
    run.command = "a";
    run.sequence = i;
    run.index = i;
    EXPECT_TRUE((*history)->append_run(*id, run).ok());
  }
  return path;
}

void run_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message), SQLITE_OK) << (message ? message : "");
  sqlite3_free(message);
  sqlite3_close(db);
}

// Overwrites the root page of `table` with garbage, as a disk or a stray write would.
void damage_table(const std::string& path, const std::string& table) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* query = nullptr;
  std::string sql = "SELECT rootpage, (SELECT page_size FROM pragma_page_size) FROM sqlite_master WHERE name = '" +
                    table + "'";
  ASSERT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &query, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(query), SQLITE_ROW);
  int64_t page = sqlite3_column_int64(query, 0);
  int64_t page_size = sqlite3_column_int64(query, 1);
  sqlite3_finalize(query);
  sqlite3_close(db);
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekp((page - 1) * page_size);
  std::string garbage(static_cast<std::size_t>(page_size), '\xA5');
  file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
}

// Audit: INSERT OR REPLACE silently overwrote a run another process had recorded.
TEST(StoreHistory, AppendingARunUnderARecordedSequenceIsAnErrorNotAnOverwrite) {
  testing::TempDir dir;
  std::string path = make_history(dir, 1);
  auto history = History::open(path);
  ASSERT_TRUE(history.ok());
  RunRecord again;
  again.command = "b";
  again.sequence = 0;
  auto appended = (*history)->append_run(1, again);
  ASSERT_FALSE(appended.ok());
  EXPECT_THAT(appended.error().message, HasSubstr("run 0 of session 1 is already recorded"));
  auto document = (*history)->load_document(1);
  ASSERT_TRUE(document.ok());
  ASSERT_EQ(document->runs.size(), 1u);
  EXPECT_EQ(document->runs[0].command, "a");
}

// Audit: a damaged page was reported as "no session '1'".
TEST(StoreHistory, DamagedSessionsPageIsReportedAsDamageNotAsAMissingSession) {
  testing::TempDir dir;
  std::string path = make_history(dir, 2);
  damage_table(path, "sessions");
  auto loaded = load_session(path, "1");
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.error().message, HasSubstr("history database '" + path + "' is damaged"));
  EXPECT_THAT(loaded.error().message, HasSubstr("database disk image is malformed"));
  EXPECT_THAT(loaded.error().message, Not(HasSubstr("no session")));
  EXPECT_EQ(loaded.error().exit_code, kExitUsage);
}

TEST(StoreHistory, MissingSessionIsStillNamedAsMissing) {
  testing::TempDir dir;
  std::string path = make_history(dir, 1);
  auto loaded = load_session(path, "7");
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.error().message, HasSubstr("no session '7'"));
}

// Audit: a damaged runs table was found only when the first run's result could not be stored.
TEST(StoreHistory, CheckBeforeRunsFindsADamagedRunsTable) {
  testing::TempDir dir;
  std::string path = make_history(dir, 3);
  damage_table(path, "runs");
  auto history = History::open(path);
  ASSERT_TRUE(history.ok()) << history.error().message;
  auto ready = (*history)->check_ready_for_runs();
  ASSERT_FALSE(ready.ok());
  EXPECT_THAT(ready.error().message, HasSubstr("history database '" + path + "' is damaged"));
}

TEST(StoreHistory, CheckBeforeRunsFindsARunsTableWithOtherColumns) {
  testing::TempDir dir;
  std::string path = make_history(dir, 0);
  run_sql(path, "DROP TABLE runs; CREATE TABLE runs (session_id INTEGER, note TEXT)");
  auto history = History::open(path);
  ASSERT_TRUE(history.ok()) << history.error().message;
  auto ready = (*history)->check_ready_for_runs();
  ASSERT_FALSE(ready.ok());
  EXPECT_THAT(ready.error().message, HasSubstr("before the first run"));
  EXPECT_THAT(ready.error().message, HasSubstr("sequence"));
}

TEST(StoreHistory, CheckBeforeRunsLeavesNothingBehind) {
  testing::TempDir dir;
  std::string path = make_history(dir, 2);
  auto history = History::open(path);
  ASSERT_TRUE(history.ok());
  ASSERT_TRUE((*history)->check_ready_for_runs().ok());
  auto sessions = (*history)->list_sessions();
  ASSERT_TRUE(sessions.ok());
  ASSERT_EQ(sessions->size(), 1u);
  EXPECT_EQ((*sessions)[0].done_runs, 2);
  // The next session still gets the next id: the probe's was rolled back.
  auto id = (*history)->begin_session(SessionInfo{}, ResultsDocument{});
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 2);
}

TEST(StoreHistory, LatestSessionIsFoundFinishedOrNot) {
  testing::TempDir dir;
  std::string path = make_history(dir, 1);
  auto history = History::open(path);
  ASSERT_TRUE(history.ok());
  ResultsDocument done;
  done.finished_at = "2024-01-01T00:01:00Z";
  ASSERT_TRUE((*history)->update_session(1, done, "finished").ok());
  auto latest = (*history)->latest_session("study");
  ASSERT_TRUE(latest.ok());
  ASSERT_TRUE(latest->has_value());
  EXPECT_EQ((**latest).status, "finished");
  auto none = (*history)->latest_session("other");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

// Audit: history and report needed write access to the database.
TEST(StoreHistory, ReadOnlyOpenCreatesAndWritesNothing) {
  testing::TempDir dir;
  std::string path = make_history(dir, 1);
  auto before = std::filesystem::last_write_time(path);
  {
    auto history = History::open_read_only(path);
    ASSERT_TRUE(history.ok()) << history.error().message;
    ASSERT_TRUE((*history)->list_sessions().ok());
    ASSERT_TRUE((*history)->load_document(1).ok());
    RunRecord run;
    run.sequence = 5;
    EXPECT_FALSE((*history)->append_run(1, run).ok());
  }
  EXPECT_EQ(std::filesystem::last_write_time(path), before);
  auto missing = History::open_read_only(dir.file("absent.sqlite"));
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message, HasSubstr("no history database at"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("absent.sqlite")));
}

TEST(StoreHistory, ReadOnlyOpenOfAFileThatIsNotAHistorySaysSo) {
  testing::TempDir dir;
  std::string path = dir.write("notes.sqlite", std::string(8192, 'n'));
  auto history = History::open_read_only(path);
  ASSERT_FALSE(history.ok());
  EXPECT_THAT(history.error().message, HasSubstr(path));
}

}  // namespace
}  // namespace coldbench::store
