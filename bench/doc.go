// Package bench holds benchmarks that compare minimage with other
// libraries. It is a module of its own so that the libraries it compares
// against never become dependencies of minimage. Run it with
//
//	go test -run='^$' -bench=. -count=6
//
// and compare the runs with benchstat; see BENCHMARKS.md at the root of the
// repository for the numbers and the exact commands.
package bench
