package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// rawConn is the load generator's HTTP/1.1 client: one keep-alive
// connection that sends requests built once and reads the answers straight
// off the socket, the way wrk does. net/http's client spends about as much
// CPU per request as the server under test (two goroutine hand-offs, header
// maps); on a machine where the servers, PostgreSQL and the load share the
// CPUs, that CPU is taken from what is measured.
type rawConn struct {
	addr     string
	c        net.Conn
	r        *bufio.Reader
	deadline time.Time // set on c
}

// errBadResponse marks an answer the raw client cannot read.
var errBadResponse = errors.New("malformed HTTP response")

// rawRequest builds the GET of target with the bearer token (none when
// empty).
func rawRequest(target *url.URL, token string) []byte {
	var b bytes.Buffer
	path := target.RequestURI()
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: authentify-bench\r\n", path, target.Host)
	if token != "" {
		fmt.Fprintf(&b, "Authorization: Bearer %s\r\n", token)
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// do sends req and reads the answer to its end; it returns the status. The
// exchange must end by deadline. On any error the connection is closed
// (the next do dials again). A request, once sent, is always read to its
// end: a run stops sending when it is over instead of cutting answers off.
func (c *rawConn) do(ctx context.Context, req []byte, deadline time.Time) (int, error) {
	if c.c == nil {
		d := net.Dialer{Timeout: 5 * time.Second}
		conn, err := d.DialContext(ctx, "tcp", c.addr)
		if err != nil {
			return 0, err
		}
		c.c = conn
		if c.r == nil {
			c.r = bufio.NewReaderSize(conn, 4096)
		} else {
			c.r.Reset(conn)
		}
	}
	if !deadline.Equal(c.deadline) {
		if err := c.c.SetDeadline(deadline); err != nil {
			c.close()
			return 0, err
		}
		c.deadline = deadline
	}
	code, keep, err := c.roundTrip(req)
	if err != nil || !keep {
		c.close()
	}
	return code, err
}

// roundTrip writes req and reads one answer: the status line, the headers
// (Content-Length, Transfer-Encoding: chunked, Connection: close) and the
// body, which it discards.
func (c *rawConn) roundTrip(req []byte) (code int, keep bool, err error) {
	if _, err := c.c.Write(req); err != nil {
		return 0, false, err
	}
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	// "HTTP/1.1 200 OK\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, false, fmt.Errorf("%w: status line %q", errBadResponse, line)
	}
	code, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, false, fmt.Errorf("%w: status line %q", errBadResponse, line)
	}
	length, chunked, keep := -1, false, true
	for {
		h, err := c.r.ReadSlice('\n')
		if err != nil {
			return 0, false, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		name, value, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			return 0, false, fmt.Errorf("%w: header %q", errBadResponse, h)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return 0, false, fmt.Errorf("%w: Content-Length %q", errBadResponse, value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			keep = !bytes.EqualFold(value, []byte("close"))
		}
	}
	switch {
	case chunked:
		err = c.discardChunks()
	case length >= 0:
		_, err = c.r.Discard(length)
	case code == 204 || code == 304 || (code >= 100 && code < 200):
	default: // the body lasts until the server closes
		_, err = io.Copy(io.Discard, c.r)
		keep = false
	}
	if err != nil {
		return 0, false, err
	}
	return code, keep, nil
}

// discardChunks reads a chunked body and its trailer.
func (c *rawConn) discardChunks() error {
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		n, err := strconv.ParseInt(string(size), 16, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%w: chunk size %q", errBadResponse, line)
		}
		if n == 0 {
			for { // trailer, up to an empty line
				t, err := c.r.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(bytes.TrimRight(t, "\r\n")) == 0 {
					return nil
				}
			}
		}
		if _, err := c.r.Discard(int(n) + 2); err != nil { // the chunk and its CRLF
			return err
		}
	}
}

func (c *rawConn) close() {
	if c.c != nil {
		c.c.Close()
		c.c = nil
		c.deadline = time.Time{}
	}
}

// Conns are the connections a Load keeps from one Run to the next (see
// Load.Conns); Close closes them.
type Conns struct {
	mu    sync.Mutex
	conns []*rawConn
	http  *http.Client // Load.NetHTTP
}

// client returns the net/http client of a Load with NetHTTP, creating it.
func (cs *Conns) client(n int) *http.Client {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.http == nil {
		cs.http = newClient(n)
	}
	return cs.http
}

// take returns the i-th connection to addr, creating it.
func (cs *Conns) take(i int, addr string) *rawConn {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for len(cs.conns) <= i {
		cs.conns = append(cs.conns, &rawConn{addr: addr})
	}
	return cs.conns[i]
}

// Close closes every connection.
func (cs *Conns) Close() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for _, c := range cs.conns {
		c.close()
	}
	if cs.http != nil {
		cs.http.CloseIdleConnections()
	}
}
