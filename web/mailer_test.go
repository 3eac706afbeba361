package web_test

import (
	"bufio"
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/textproto"
	"strings"
	"testing"

	"roster/db"
	"roster/db/dbtest"
	"roster/web"
)

// fakeSMTP serves plain SMTP on a loopback port and delivers each message's
// data on the channel.
func fakeSMTP(t *testing.T) (string, <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got := make(chan string, 10)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go serveSMTP(conn, got)
		}
	}()
	return ln.Addr().String(), got
}

func serveSMTP(conn net.Conn, got chan<- string) {
	defer conn.Close()
	tp := textproto.NewConn(conn)
	_ = tp.PrintfLine("220 fake ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		switch verb := strings.ToUpper(strings.Fields(line + " x")[0]); verb {
		case "EHLO", "HELO":
			_ = tp.PrintfLine("250 fake")
		case "DATA":
			_ = tp.PrintfLine("354 go ahead")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			got <- string(data)
			_ = tp.PrintfLine("250 queued")
		case "QUIT":
			_ = tp.PrintfLine("221 bye")
			return
		default:
			_ = tp.PrintfLine("250 ok")
		}
	}
}

// invite queues one invitation email and returns its accept link.
func invite(t *testing.T, d *db.DB) string {
	t.Helper()
	ctx := context.Background()
	f := dbtest.Workspace(t, d, "Acme")
	a, err := d.CreateAccount(ctx, f.Test(), db.AccountInput{Name: "Shop"})
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := d.CreateMembership(ctx, f.Test(), a.ID, db.NewMembership{Email: "ann@example.com", Name: "Ann", SendEmail: true,
		AcceptURL: func(token string) string { return "https://roster.example/invitations/" + token }})
	if err != nil {
		t.Fatal(err)
	}
	return m.Invitation.AcceptURL
}

func pending(t *testing.T, d *db.DB) int {
	t.Helper()
	es, err := d.PendingEmails(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

func TestDispatcher(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		link := invite(t, d)
		var logs bytes.Buffer
		logger := slog.New(slog.NewTextHandler(&logs, nil))

		t.Run("SMTP down", func(t *testing.T) {
			closed, _ := net.Listen("tcp", "127.0.0.1:0")
			addr := closed.Addr().String()
			closed.Close()
			disp, err := web.NewDispatcher(d, "smtp://"+addr, logger)
			if err != nil {
				t.Fatal(err)
			}
			if err := disp.Flush(ctx); err == nil {
				t.Fatal("no error from an unreachable server")
			}
			if pending(t, d) != 1 {
				t.Fatal("a failed email left the queue")
			}
		})

		t.Run("SMTP", func(t *testing.T) {
			addr, got := fakeSMTP(t)
			disp, err := web.NewDispatcher(d, "smtp://"+addr+"?from=roster@acme.example", logger)
			if err != nil {
				t.Fatal(err)
			}
			if err := disp.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			msg := <-got
			for _, want := range []string{"From: roster@acme.example", "To: ann@example.com", "Subject: You are invited to join Shop", "Hello Ann,", link} {
				if !strings.Contains(msg, want) {
					t.Fatalf("message lacks %q:\n%s", want, msg)
				}
			}
			if pending(t, d) != 0 {
				t.Fatal("a sent email is still pending")
			}
		})
	})
}

func TestDispatcherWithoutSMTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		link := invite(t, d)
		var logs bytes.Buffer
		disp, err := web.NewDispatcher(d, "", slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if err := disp.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		lines := 0
		sc := bufio.NewScanner(&logs)
		for sc.Scan() {
			lines++
			if !strings.Contains(sc.Text(), "email to ann@example.com kept in the outbox") {
				t.Fatalf("log line %q", sc.Text())
			}
		}
		token := link[strings.LastIndex(link, "/")+1:]
		if lines != 1 || strings.Contains(logs.String(), token) {
			t.Fatalf("log %q", logs.String())
		}
		if pending(t, d) != 0 {
			t.Fatal("the email is still pending")
		}
	})
}

func TestBadSMTPURL(t *testing.T) {
	for _, u := range []string{"http://mail.example", "smtp://", "::"} {
		if _, err := web.NewDispatcher(nil, u, slog.Default()); err == nil || !strings.Contains(err.Error(), "ROSTER_SMTP_URL") {
			t.Errorf("%q: %v", u, err)
		}
	}
}
