package web

// The mailer delivers the outbox: emails that the stores queue in the
// transaction of the change that sends them (invitations) are handed to an
// SMTP server by a Dispatcher, or, without one, logged (never with their
// link) and left in the outbox, where support can copy the link.

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/smtp"
	"net/url"
	"strings"
	"sync"
	"time"

	"roster/db"
)

// OutboxStore is what the dispatcher needs of the database.
type OutboxStore interface {
	ClaimEmails(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]db.Email, error)
	EmailsSent(ctx context.Context, es []db.Email) (int, error)
	EmailFailed(ctx context.Context, e db.Email, retryAt time.Time) error
}

// emailLease is how long a process holds the emails it claims: longer
// than handing one over takes. One it has not finished by then, because
// it died, goes to another process.
const emailLease = 2 * time.Minute

// Dispatcher sends the outbox's pending emails, every Interval while it runs.
type Dispatcher struct {
	Store    OutboxStore
	Logger   *slog.Logger
	Interval time.Duration
	sender   *smtpSender // nil: log and keep instead of sending

	stop context.CancelFunc
	done chan struct{}
	once sync.Once
}

// NewDispatcher makes a dispatcher that sends through the SMTP server of smtpURL
// (smtp://user:pass@host:port, STARTTLS when offered; smtps:// for TLS from
// the start; ?from=address for the sender), or, when smtpURL is "", only
// logs each email and keeps it in the outbox.
func NewDispatcher(store OutboxStore, smtpURL string, logger *slog.Logger) (*Dispatcher, error) {
	d := &Dispatcher{Store: store, Logger: logger, Interval: 2 * time.Second}
	if smtpURL == "" {
		return d, nil
	}
	s, err := parseSMTPURL(smtpURL)
	if err != nil {
		return nil, err
	}
	d.sender = s
	return d, nil
}

// Start runs the dispatcher in the background until Stop.
func (d *Dispatcher) Start() {
	ctx, cancel := context.WithCancel(db.Background(context.Background()))
	d.stop, d.done = cancel, make(chan struct{})
	go func() {
		defer close(d.done)
		t := time.NewTicker(d.Interval)
		defer t.Stop()
		for {
			if err := d.Flush(ctx); err != nil && ctx.Err() == nil {
				d.Logger.Error("outbox", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// Stop ends a started dispatcher and waits for the email in hand.
func (d *Dispatcher) Stop() {
	d.once.Do(func() {
		if d.stop != nil {
			d.stop()
			<-d.done
		}
	})
}

// Flush handles every due email once: claims a batch with a lease (so
// that of several processes one sends each, and one that dies mid-send
// loses nothing: the lease runs out and another sends it), sends or logs
// each, and marks it sent only then; a failed send is due again at the
// next round.
func (d *Dispatcher) Flush(ctx context.Context) error {
	for {
		emails, err := d.Store.ClaimEmails(ctx, time.Now(), emailLease, 50)
		if err != nil || len(emails) == 0 {
			return err
		}
		if err := d.handle(ctx, emails); err != nil {
			return err
		}
	}
}

// handle sends or logs a claimed batch. Sent by SMTP, each email is marked
// sent as soon as it is, so that a process dying mid-batch sends none
// twice; logged only, the batch is marked sent in one statement.
func (d *Dispatcher) handle(ctx context.Context, emails []db.Email) error {
	if d.sender == nil {
		if _, err := d.Store.EmailsSent(ctx, emails); err != nil {
			return err
		}
		for _, e := range emails {
			d.Logger.Info("email to "+e.To+" kept in the outbox", "email_id", e.ID)
		}
		return nil
	}
	var errs []error
	for _, e := range emails {
		if err := d.sender.send(e); err != nil {
			errs = append(errs, fmt.Errorf("mail: send %s: %w", e.ID, err), d.Store.EmailFailed(ctx, e, time.Now()))
			continue
		}
		if _, err := d.Store.EmailsSent(ctx, []db.Email{e}); err != nil {
			return errors.Join(append(errs, err)...)
		}
		d.Logger.Info("email sent", "email_id", e.ID, "to", e.To)
	}
	return errors.Join(errs...)
}

// smtpSender hands emails to one SMTP server.
type smtpSender struct {
	addr, host, from string
	auth             smtp.Auth
	implicitTLS      bool
}

// parseSMTPURL reads smtp://user:pass@host:port?from=address.
func parseSMTPURL(raw string) (*smtpSender, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, fmt.Errorf("ROSTER_SMTP_URL: want smtp://user:pass@host:port")
	}
	s := &smtpSender{host: u.Hostname(), implicitTLS: u.Scheme == "smtps", from: u.Query().Get("from")}
	port := u.Port()
	if port == "" {
		port = map[bool]string{true: "465", false: "587"}[s.implicitTLS]
	}
	s.addr = net.JoinHostPort(s.host, port)
	if u.User != nil {
		pass, _ := u.User.Password()
		s.auth = smtp.PlainAuth("", u.User.Username(), pass, s.host)
	}
	if s.from == "" {
		s.from = "roster@" + s.host
	}
	return s, nil
}

// send delivers one email.
func (s *smtpSender) send(e db.Email) error {
	msg := message(s.from, e)
	if !s.implicitTLS {
		return smtp.SendMail(s.addr, s.auth, s.from, []string{e.To}, msg)
	}
	conn, err := tls.Dial("tcp", s.addr, &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12})
	if err != nil {
		return err
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if s.auth != nil {
		if err := c.Auth(s.auth); err != nil {
			return err
		}
	}
	if err := c.Mail(s.from); err != nil {
		return err
	}
	if err := c.Rcpt(e.To); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// message is the RFC 5322 form of an email: plain UTF-8 text.
func message(from string, e db.Email) []byte {
	var b strings.Builder
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", from)
	header("To", e.To)
	header("Subject", mime.QEncoding.Encode("utf-8", strings.Join(strings.Fields(e.Subject), " ")))
	header("Date", e.CreatedAt.UTC().Format(time.RFC1123Z))
	header("Message-ID", "<"+e.ID+"@roster>")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "8bit")
	b.WriteString("\r\n")
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(e.Body, "\r\n", "\n"), "\n", "\r\n"))
	return []byte(b.String())
}
