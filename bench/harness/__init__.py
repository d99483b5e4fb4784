"""The benchmark harness behind bench/run and bench/report (bench/README.md).

Modules, one concern each:
  sysinfo    what /proc says: per-core busy time, a process tree's CPU time,
             RSS, kernel slab, descriptors; the machine's description
  procs      starting servers and loads pinned to a CPU, and stopping every
             one of them by PID, on Ctrl-C too
  deps       Debian packages and the peers' build
  servers    the servers under test and how to start each
  load       tcpload and floor command lines, and reading their JSON
  measure    one measurement: a load against a server, with the CPU window
  scenarios  the benchmark scenarios, interleaved run by run
  memory     scenario 6: idle connections held, RSS and slab per connection
  syscalls   strace -c: system calls per message
  instructions
             callgrind: user-space instructions per message
  profile    perf record: where the server's core spends its time
  results    the run's JSON and CSV files
  stats      medians, spreads and per-run ratios
  plots      gnuplot PNGs
  markdown   BENCHMARKS.md
"""
