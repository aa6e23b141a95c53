// cappy-consumer MODEL_DIR: the same job as examples/c (instruction<TAB>response
// lines in, one %.9g score per line out) through the C++ wrapper over the C ABI.
#include <cappy/cappy_c.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " MODEL_DIR < pairs.tsv\n";
    return 2;
  }
  std::vector<std::string> lines;
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  for (std::string line; std::getline(std::cin, line);) lines.push_back(std::move(line));
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    const size_t tab = line.find('\t');
    if (tab == std::string_view::npos) {
      std::cerr << "cappy-consumer: line " << i + 1 << " has no tab between instruction and response\n";
      return 2;
    }
    pairs.emplace_back(line.substr(0, tab), line.substr(tab + 1));
  }
  try {
    cappy_load_params params = cappy_load_default_params();
    params.ort_library_path = std::getenv("CAPPY_ORT_LIB");
    cappy::embed::Model model(argv[1], params);
    for (const float score : model.Score(pairs)) std::printf("%.9g\n", score);
  } catch (const cappy::embed::Error& e) {
    std::cerr << "cappy-consumer: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
