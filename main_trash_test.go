package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

// TestRecordingTrashFlag: --recording-trash (or CONCLAVE_RECORDING_TRASH) sets the trash
// time, 7 days by default; absurd durations are refused with the flag named.
func TestRecordingTrashFlag(t *testing.T) {
	noEnv := func(string) string { return "" }
	cfg, _, err := parseConfig("serve", nil, noEnv, io.Discard)
	if err != nil || cfg.RecordingTrash != 7*24*time.Hour {
		t.Fatalf("default trash time %v, %v", cfg.RecordingTrash, err)
	}
	cfg, _, err = parseConfig("serve", []string{"--recording-trash", "36h"}, noEnv, io.Discard)
	if err != nil || cfg.RecordingTrash != 36*time.Hour {
		t.Fatalf("--recording-trash 36h: %v, %v", cfg.RecordingTrash, err)
	}
	cfg, _, err = parseConfig("serve", nil, func(k string) string {
		if k == "CONCLAVE_RECORDING_TRASH" {
			return "2h"
		}
		return ""
	}, io.Discard)
	if err != nil || cfg.RecordingTrash != 2*time.Hour {
		t.Fatalf("CONCLAVE_RECORDING_TRASH=2h: %v, %v", cfg.RecordingTrash, err)
	}
	for _, bad := range []string{"0s", "-5m", "30s", "87601h", "9999999h", "week", ""} {
		_, _, err := parseConfig("serve", []string{"--recording-trash", bad}, noEnv, io.Discard)
		if err == nil {
			t.Errorf("--recording-trash %q accepted", bad)
		} else if want := "--recording-trash"; !strings.Contains(err.Error(), want) {
			t.Errorf("--recording-trash %q: error %q does not name the flag", bad, err)
		}
	}
}
