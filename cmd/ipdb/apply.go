package main

import "fmt"

func runApply(e *env, args []string) int {
	fmt.Fprintln(e.stderr, "ipdb apply: not built yet")
	return exitError
}
