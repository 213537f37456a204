package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// post sends a JSON body and decodes a JSON answer with status want.
func post(ctx context.Context, url string, body, out any, want int) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("POST %s: %w", url, err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("POST %s: %d, want %d: %s", url, resp.StatusCode, want, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("POST %s: %w", url, err)
	}
	return nil
}

// registerAndLogin registers a beta user (so that GET /premium answers 200)
// and logs it in with a header session; it returns the access token and
// the session id.
func registerAndLogin(ctx context.Context, base string) (string, int64, error) {
	password := rand.Text()
	var user struct {
		ID int64 `json:"id"`
	}
	if err := post(ctx, base+"/auth/register", map[string]any{"username": "bench", "password": password, "beta": true}, &user, http.StatusCreated); err != nil {
		return "", 0, err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		SessionID   int64  `json:"session_id"`
	}
	if err := post(ctx, base+"/auth/login", map[string]any{"username": "bench", "password": password, "device": "bench"}, &tok, http.StatusOK); err != nil {
		return "", 0, err
	}
	if tok.AccessToken == "" || tok.SessionID == 0 {
		return "", 0, fmt.Errorf("login: no access token or session id in the answer")
	}
	return tok.AccessToken, tok.SessionID, nil
}
