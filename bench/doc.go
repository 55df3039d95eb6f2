// Package bench holds what the benchmark harness's parts share: the line
// protocol between the load driver and its client processes, the synthetic
// blocks and their frames (byte for byte what the stream server sends),
// percentiles, and the report and plots the driver writes.
//
// The parts: loadclients (a process of K WebSocket or Server-Sent Events
// clients that timestamps every message), floor (the raw-socket floor:
// pre-framed bytes written to the same sockets with nothing else), driver
// (starts a node, the clients and the floor, runs the trials and writes
// docs/benchmarks.md), and their commands under cmd/. `make bench` runs
// them; docs/benchmarks.md says what each number means.
package bench
