//go:build !linux

package layout

const canLink = false

func unnamedFiles(string) bool { return false }
