#pragma once
// The JavaScript the HTML report inlines (Vega, Vega-Lite, vega-embed from
// npm, pinned by the repository's package-lock.json), found at run time so
// the page opens offline and nothing is fetched from a CDN.
//
// Search order, first folder holding all three wins (a node_modules folder,
// or a folder with node_modules inside):
//   1. $COLDBENCH_WEB_DIR, when set, and then nothing else
//   2. the source tree's node_modules (compiled in: COLDBENCH_NODE_MODULES_DIR)
//   3. next to the executable: web/, node_modules/, ../share/coldbench/web/

#include <string>
#include <vector>

#include "core/expected.hpp"

namespace coldbench::report {

struct WebScript {
  std::string package;  // "vega", "vega-lite", "vega-embed"
  std::string version;  // from the package's package.json
  std::string path;
  std::string source;
};

struct WebAssets {
  std::string directory;           // the node_modules folder they came from
  std::vector<WebScript> scripts;  // in load order: vega, vega-lite, vega-embed
};

// The folders searched, in order (for messages and docs).
std::vector<std::string> web_asset_search_path();

// Loads the scripts; the error names every folder tried and the fix.
Expected<WebAssets> load_web_assets();
Expected<WebAssets> load_web_assets_from(const std::string& directory);

}  // namespace coldbench::report
