// Package bench holds what the benchmark harness's parts share: the line
// protocol between the load driver and its client processes, the synthetic
// blocks and their frames (byte for byte what the stream server sends),
// percentiles and the plots.
//
// The parts: loadclients (a process of K WebSocket or Server-Sent Events
// clients that timestamps every message), floor (the raw-socket floor:
// pre-framed bytes written to the same sockets with nothing else) and
// driver (starts nodes, in its process and in processes of their own, the
// clients and the floor, runs the trials and writes docs/benchmarks.md from
// a template). `make bench` runs cmd/benchrun, which is also the client
// and node processes (its roles, chosen by COMETSTREAM_BENCH_ROLE);
// docs/benchmarks.md says what each number means.
package bench
