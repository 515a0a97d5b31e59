#pragma once
// The git commit a sweep ran at, recorded with its session in the history.
//
// A repository is data, not something to trust: an unpacked archive or a
// shared checkout can carry a .git/config that names programs (core.fsmonitor,
// filter drivers), hooks, and attributes that apply them. So the commit is
// read from .git by hand, and the one question only git can answer (are there
// uncommitted changes?) goes to git with every program the repository could
// name switched off, under a time limit.

#include <optional>
#include <string>

namespace coldbench::sweep {

// Where a checkout's git data lives.
struct GitCheckout {
  std::string work_tree;   // the directory holding .git
  std::string git_dir;     // .git, or .git/worktrees/NAME for a linked worktree
  std::string common_dir;  // where refs and packed-refs live (== git_dir unless a worktree)
};

// The checkout `start_dir` is in (looking upwards), if any.
std::optional<GitCheckout> find_git_checkout(const std::string& start_dir);

// The full hash HEAD points at, following symbolic refs through loose refs
// and packed-refs; nullopt when HEAD is unborn or in a format not read here.
std::optional<std::string> read_head_commit(const GitCheckout& checkout);

// Whether tracked files differ from HEAD (git status, untracked files not
// counted); nullopt when git could not tell within `timeout_s` (not installed,
// the repository refused as another user's, a hang).
std::optional<bool> has_uncommitted_changes(const GitCheckout& checkout, double timeout_s);

// The current directory's commit for the history: 12 hex digits, "-dirty"
// with uncommitted changes, "-unchecked" when that could not be determined;
// "" outside a repository.
std::string current_git_commit();

}  // namespace coldbench::sweep
