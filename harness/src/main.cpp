#include <exception>
#include <iostream>

#include "faultline/harness/cli.h"

int main(int argc, char** argv) {
  try {
    return faultline::cli::run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "faultline: internal error: " << e.what() << "\n";
    return faultline::cli::kExitCrash;
  } catch (...) {
    std::cerr << "faultline: internal error (unknown exception)\n";
    return faultline::cli::kExitCrash;
  }
}
