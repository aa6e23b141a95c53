// config.json readers shared by ParseConfigJson and OpenModelFolder.
#pragma once

#include <string>

#include "cappy/cappy.h"
#include "json/json.h"

namespace cappy::model {

// `what` names the file in errors ("config.json in /models/x").
ModelConfig ReadConfig(json::Value root, const std::string& what);
ModelConfig ReadConfigFile(const std::string& path, const std::string& what);

}  // namespace cappy::model
