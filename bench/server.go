package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// loadPath is the route every server is driven on: in the example app a
// route behind the authentication middleware whose handler makes no query
// of its own (GET /premium, for beta users), in the baseline the same path.
const loadPath = "/premium"

// server is a server under test running as a child process.
type server struct {
	name string
	url  string // http://127.0.0.1:port
	cmd  *exec.Cmd
	out  *tail
	done chan struct{} // closed when the process has exited
	err  error         // the exit status, once done is closed
}

// tail keeps the last bytes written to it: the end of a child's output for
// error messages.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailSize = 8 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - tailSize; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.buf))
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// childEnv returns the environment of a child: ours without the variables
// the servers read (so that the caller's shell does not change a run),
// plus extra.
func childEnv(extra map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "AUTHENTIFY_"), name == "DATABASE_URL", name == "ADDR",
			name == "AUTH_RATE_LIMIT", name == "LOGIN_FAILURE_LIMIT", name == "TRUSTED_PROXIES",
			name == "COOKIE_INSECURE":
			continue
		}
		env = append(env, kv)
	}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

// startServer starts bin with args and env (plus ADDR on a free loopback
// port) and waits until GET /healthz answers 200. If the process exits
// first, the error carries the end of its output.
func startServer(ctx context.Context, name, bin string, args []string, env map[string]string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	env["ADDR"] = addr
	s := &server{name: name, url: "http://" + addr, out: &tail{}, done: make(chan struct{})}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Env = childEnv(env)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: start: %w", name, err)
	}
	go func() { s.err = s.cmd.Wait(); close(s.done) }()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-s.done:
			return nil, fmt.Errorf("%s exited before it was ready (%v):\n%s", name, s.err, s.out)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		resp, err := client.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s: not ready after 60s:\n%s", name, s.out)
		}
	}
}

// stop asks the server to shut down (SIGTERM) and kills it after 10 s. It
// returns an error if the server had exited on its own with a failure.
func (s *server) stop() error {
	select {
	case <-s.done:
		if s.err != nil {
			return fmt.Errorf("%s exited: %w:\n%s", s.name, s.err, s.out)
		}
		return nil
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	var exit *exec.ExitError
	if s.err != nil && !errors.As(s.err, &exit) {
		return fmt.Errorf("%s: %w", s.name, s.err)
	}
	return nil
}

// buildApp builds the example app into dir and returns the binary.
func buildApp(ctx context.Context, dir string) (string, error) {
	bin := dir + string(os.PathSeparator) + "echo-example"
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, appPackage)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s: %w", appPackage, err)
	}
	return bin, nil
}
