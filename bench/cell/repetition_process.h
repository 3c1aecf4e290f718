// Runs a piece of the harness in a process of its own, forked from the
// prepared parent: the stream is generated once, and every repetition starts
// from the same state (no container built yet, the allocator as the parent
// left it) instead of inheriting the heap, the page cache and the
// allocator's free lists of the repetition before it. In one process, the
// first repetition pays first-touch page faults that later ones do not, and
// the median of such repetitions mixes a cold run with warm ones.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace dstudy::bench {

// Forks; the child runs `work` and hands its JSON back through a pipe. A
// child that throws makes this throw std::runtime_error with its message. A
// child killed by a signal (a crash, the OOM killer) kills this process with
// the same signal, after a message naming `what`, so the runner records the
// cell as crashed exactly as if it had crashed in one process.
nlohmann::json run_in_child_process(const std::string& what, const std::function<nlohmann::json()>& work);

}  // namespace dstudy::bench
