package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestProcCPU(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// Fields 14–17 (utime, stime, cutime, cstime) are 7, 3, 20, 5 ticks.
	const rest = " S 1 2 3 4 5 6 7 8 9 10 7 3 20 5 20 0 1 0 100 1000 10\n"
	tests := []struct {
		name         string
		stat         string
		postgresOnly bool
		want         time.Duration
		wantErr      bool
	}{
		{"own time", "42 (echo-example)" + rest, false, 10 * clockTick, false},
		{"a command with spaces and parentheses", "42 (a (b) c)" + rest, false, 10 * clockTick, false},
		{"postgres with its exited children", "7 (postgres)" + rest, true, 35 * clockTick, false},
		{"not postgres", "8 (redis-server)" + rest, true, 0, true},
		{"truncated", "9 (x) S 1 2", false, 0, true},
		{"garbage", "no parentheses", false, 0, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := procCPU(write(string(rune('a'+i)), tt.stat), tt.postgresOnly)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("procCPU = %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
	if _, err := procCPU(filepath.Join(dir, "missing"), false); err == nil {
		t.Error("procCPU of a missing file: no error")
	}
}

func TestSampleCPUOfThisProcess(t *testing.T) {
	before := sampleCPU(os.Getpid())
	if !before.ok {
		t.Fatal("sampleCPU of this process: /proc not readable")
	}
	deadline := time.Now().Add(50 * time.Millisecond)
	for n := 0; time.Now().Before(deadline); n++ {
		_ = n * n
	}
	share := sampleCPU(os.Getpid()).since(before)
	if share == nil || share.Load <= 0 || share.Server < 0 {
		t.Errorf("after 50 ms of spinning: %+v", share)
	}
	if got := fmtCPUPerRequest(&CPUShare{Server: 90 * time.Microsecond, Database: 50 * time.Microsecond, Load: 60 * time.Microsecond}, 1); got != "90 + 50 + 60 = 200" {
		t.Errorf("fmtCPUPerRequest = %q", got)
	}
	if got := fmtCPUPerRequest(nil, 5); got != "–" {
		t.Errorf("fmtCPUPerRequest(nil) = %q", got)
	}
	if got := (cpuSample{}).since(before); got != nil {
		t.Errorf("since of an unread sample = %+v, want nil", got)
	}
}
