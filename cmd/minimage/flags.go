package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// listFlag is a repeatable flag; each use may also hold a comma-separated
// list when split is set.
type listFlag struct {
	values []string
	split  bool
}

func (l *listFlag) String() string { return strings.Join(l.values, ",") }

func (l *listFlag) Set(v string) error {
	if !l.split {
		l.values = append(l.values, v)
		return nil
	}
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			l.values = append(l.values, s)
		}
	}
	return nil
}

// keyValues parses K=V flags into a map, naming the flag in its error.
func keyValues(flag string, vs []string) (map[string]string, error) {
	if len(vs) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(vs))
	for _, v := range vs {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--%s %q: want KEY=VALUE", flag, v)
		}
		m[k] = val
	}
	return m, nil
}

// parseCreated reads --created: RFC 3339 or Unix seconds.
func parseCreated(v string) (time.Time, error) {
	if sec, err := strconv.ParseInt(v, 10, 64); err == nil {
		if sec < 0 {
			return time.Time{}, fmt.Errorf("--created %q: a time before 1970 is not allowed", v)
		}
		return time.Unix(sec, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("--created %q: want RFC 3339 (2024-01-02T15:04:05Z) or Unix seconds (1704207845)", v)
	}
	return t.UTC(), nil
}

// parseUser reads --user: nonroot, root, or UID[:GID].
func parseUser(v string) (string, error) {
	switch v {
	case "", "nonroot":
		return "65532:65532", nil
	case "root":
		return "0:0", nil
	}
	uid, gid, hasGID := strings.Cut(v, ":")
	if _, err := strconv.ParseUint(uid, 10, 31); err != nil {
		return "", fmt.Errorf("--user %q: want nonroot, root, or UID[:GID] with numeric ids", v)
	}
	if !hasGID {
		return uid, nil
	}
	if _, err := strconv.ParseUint(gid, 10, 31); err != nil {
		return "", fmt.Errorf("--user %q: the group %q is not a number", v, gid)
	}
	return v, nil
}
