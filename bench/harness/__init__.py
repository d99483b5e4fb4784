"""The benchmark harness behind bench/run and bench/report (bench/README.md).

Modules, one concern each:
  sysinfo    what /proc says: per-core busy time (user, kernel, steal), a
             process tree's CPU time, RSS, kernel slab, descriptors; the
             machine's description
  source     the source tree's commit, and whether it is clean
  procs      starting servers and loads pinned to a CPU, and stopping every
             one of them by PID, on Ctrl-C too
  deps       Debian packages and the peers' build
  servers    the servers under test and how to start each
  load       tcpload and floor command lines, and reading their JSON
  measure    one measurement: a load against a server, with the CPU window
  scenarios  the benchmark scenarios, interleaved run by run
  memory     scenario 6: idle connections held, RSS and slab per connection
  scaling    scenario 8: workers across cores, both listener designs
  syscalls   strace -c: system calls per message and per connection
  instructions
             callgrind: user-space instructions per message
  profile    perf record: where the server's core spends its time
  results    the run's JSON and CSV files
  stats      medians, spreads, per-run ratios and the verdict rule
  targets    the targets table: each target and its verdict
  fmt        the report's number, ratio and table formatting
  plots      gnuplot PNGs
  markdown   BENCHMARKS.md
"""
