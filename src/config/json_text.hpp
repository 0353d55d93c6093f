// JSON text → nlohmann::json, with syntax errors located by line and column (1-based) rather
// than nlohmann's byte offset. Used for scale configs and the CLI's input files.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "common/result.hpp"
#include "config/scale_config.hpp"

namespace maiev::config {

// On failure: ConfigError with an empty field and a message such as
// "invalid JSON at line 3, col 10: syntax error while parsing value - invalid literal; ...".
Result<nlohmann::json, ConfigError> ParseJsonText(std::string_view text);

}  // namespace maiev::config
