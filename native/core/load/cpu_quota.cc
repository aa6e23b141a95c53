// How many cores this process may really use (cappy/load.h): the affinity
// mask, capped by a cgroup CPU quota. Thread defaults come from here, for the
// C ABI and the Node addon alike. A pod's CPU limit is a CFS quota, which the
// affinity mask (the host's CPUs) does not show.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "cappy/load.h"

#if defined(__linux__)
#include <sched.h>
#endif

namespace cappy {

namespace {

// A path under the root, read whole and trimmed; nullopt when unreadable.
std::optional<std::string> Read(const std::string& root, const std::string& path) {
  std::string full = root;
  if (full.empty() || full.back() != '/') full += '/';
  full += path;
  std::ifstream in(full);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  const size_t end = s.find_last_not_of(" \t\r\n");
  s.erase(end == std::string::npos ? 0 : end + 1);
  const size_t begin = s.find_first_not_of(" \t\r\n");
  return s.substr(begin == std::string::npos ? s.size() : begin);
}

std::optional<double> Number(const std::optional<std::string>& text) {
  if (!text || text->empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(text->c_str(), &end);
  if (end == text->c_str()) return std::nullopt;
  return v;
}

std::string Parent(const std::string& dir) {
  const size_t slash = dir.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return dir.substr(0, slash);
}

std::string Join(const std::string& a, const std::string& b) {
  if (b == "/" || b.empty()) return a;
  return b.front() == '/' ? a + b : a + "/" + b;
}

}  // namespace

std::optional<double> CgroupCpuLimit(const std::string& fs_root) {
  const std::optional<std::string> membership = Read(fs_root, "proc/self/cgroup");
  if (!membership) return std::nullopt;
  std::optional<double> limit;
  const auto tighten = [&](double cpus) {
    if (cpus > 0 && cpus < 1e12) limit = limit ? std::min(*limit, cpus) : cpus;
  };
  std::istringstream lines(*membership);
  for (std::string line; std::getline(lines, line);) {
    // "0::/path" (v2) or "4:cpu,cpuacct:/path" (v1).
    const size_t a = line.find(':');
    const size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    const std::string id = line.substr(0, a);
    const std::string controllers = line.substr(a + 1, b - a - 1);
    const std::string path = line.substr(b + 1);
    const bool v2 = id == "0" && controllers.empty();
    bool v1 = false;
    std::istringstream names(controllers);
    for (std::string name; std::getline(names, name, ',');) v1 = v1 || name == "cpu";
    if (!v2 && !v1) continue;
    for (std::string dir = path.empty() ? "/" : path;; dir = Parent(dir)) {
      if (v2) {
        const std::string max = Read(fs_root, Join("sys/fs/cgroup", dir) + "/cpu.max").value_or("max");
        std::istringstream fields(max);
        std::string quota, period;
        fields >> quota >> period;
        if (quota != "max") {
          const std::optional<double> q = Number(quota);
          const double p = Number(period).value_or(100000);
          if (q && p > 0) tighten(*q / p);
        }
      } else {
        // v1 mounts the cpu controller at cpu/ or cpu,cpuacct/ (often both, linked).
        for (const char* mount : {"sys/fs/cgroup/cpu", "sys/fs/cgroup/cpu,cpuacct"}) {
          const std::optional<double> q = Number(Read(fs_root, Join(mount, dir) + "/cpu.cfs_quota_us"));
          const std::optional<double> p = Number(Read(fs_root, Join(mount, dir) + "/cpu.cfs_period_us"));
          if (q && p && *q > 0 && *p > 0) tighten(*q / *p);
        }
      }
      if (dir == "/") break;
    }
  }
  return limit;
}

uint32_t UsableCores(const std::string& fs_root, uint32_t affinity) {
  if (affinity == 0) {
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) affinity = static_cast<uint32_t>(CPU_COUNT(&set));
#endif
    if (affinity == 0) affinity = std::thread::hardware_concurrency();
    if (affinity == 0) affinity = 1;
  }
  const std::optional<double> limit = CgroupCpuLimit(fs_root);
  if (!limit) return affinity;
  const double floor = *limit < 1 ? 1 : static_cast<double>(static_cast<uint64_t>(*limit));
  return std::max(1u, std::min(affinity, static_cast<uint32_t>(floor)));
}

}  // namespace cappy
