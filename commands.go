package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// command is one of roster's commands: the table below is the one home of
// their names, synopses and summaries, for dispatch and for every help text.
type command struct {
	name     string // as typed: "serve", "apikey create"
	synopsis string // its flags and arguments, for its usage line
	summary  string // what it does, in a line
	run      func(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error
}

// commands are roster's commands, in the order roster --help lists them.
var commands = []command{
	{"serve", "[flags]", "migrate, then serve HTTP until SIGINT/SIGTERM (the default command)", serve},
	{"migrate", "[--database-url URL]", "apply migrations and exit", migrate},
	{"migrate status", "[--database-url URL] [--json]", "list the applied and pending migrations, applying none", migrateStatus},
	{"bootstrap", "--workspace NAME --email E --password P [--json]", "create a workspace and its first owner", bootstrap},
	{"apikey create", "--workspace WS --mode live|test --kind secret|publishable [--scope S]... [--name N] [--json]",
		"create an API key and print its secret once", apikeyCreate},
	{"staff add", "--workspace WS --email E --role owner|admin|support [--name N] [--password P] [--json]",
		"put someone on a workspace's staff (console sign-in)", staffAdd},
	{"demo", "[--base-url URL]", "fill a fresh database with a demo workspace and print how to sign in", demo},
	{"backup", "[--database-url URL] PATH", "write a consistent copy of the SQLite database to PATH, also while it serves", backup},
	{"version", "[--json]", "print the version, commit and build date", showVersion},
}

// usage is roster --help: the commands, not any command's flags.
func usage(w io.Writer) {
	fmt.Fprint(w, "roster: account memberships for your customers' accounts\n\nUsage: roster [COMMAND] [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-16s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nWithout a command, roster serves. 'roster COMMAND --help' shows a command's flags;\n"+
		"the commands that use the database take --database-url (or DATABASE_URL).\n")
}

// dispatch finds the command args name and runs it. No command, or flags
// first, is serve.
func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return runCommand(ctx, find("serve"), nil, stdout, stderr)
	}
	switch {
	case isHelp(args[0]):
		return help(ctx, args[1:], stdout, stderr)
	case args[0] == "-version" || args[0] == "--version":
		return runCommand(ctx, find("version"), args[1:], stdout, stderr)
	case strings.HasPrefix(args[0], "-"):
		return runCommand(ctx, find("serve"), args, stdout, stderr)
	}
	if len(args) > 1 {
		if c := find(args[0] + " " + args[1]); c != nil {
			return runCommand(ctx, c, args[2:], stdout, stderr)
		}
	}
	if c := find(args[0]); c != nil {
		return runCommand(ctx, c, args[1:], stdout, stderr)
	}
	if verbs := group(args[0]); len(verbs) > 0 {
		if len(args) > 1 && isHelp(args[1]) {
			return groupHelp(verbs, stdout)
		}
		return fmt.Errorf("%s: want %s (see roster %s --help)", args[0], synopses(verbs), args[0])
	}
	return fmt.Errorf("unknown command %q (see roster --help)", args[0])
}

// help answers roster help [COMMAND...]: the same as roster COMMAND --help.
func help(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	name := strings.Join(args, " ")
	if c := find(name); c != nil {
		return runCommand(ctx, c, []string{"--help"}, stdout, stderr)
	}
	if verbs := group(name); len(verbs) > 0 {
		return groupHelp(verbs, stdout)
	}
	if name != "" {
		return fmt.Errorf("help: unknown command %q (see roster --help)", name)
	}
	usage(stdout)
	return errHelped
}

// groupHelp prints the usage lines of a command's verbs (roster apikey --help).
func groupHelp(verbs []*command, stdout io.Writer) error {
	for _, c := range verbs {
		fmt.Fprintf(stdout, "Usage: roster %s %s\n    %s\n", c.name, c.synopsis, c.summary)
	}
	return errHelped
}

// synopses is how the verbs of a group are used, as an error names them.
func synopses(verbs []*command) string {
	names := make([]string, len(verbs))
	for i, c := range verbs {
		names[i] = "'roster " + c.name + " …'"
	}
	return strings.Join(names, " or ")
}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

// find returns the command of that name, or nil.
func find(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// group returns the commands whose first word is name and that have a
// second ("apikey" → "apikey create").
func group(name string) []*command {
	var verbs []*command
	for i := range commands {
		if first, _, ok := strings.Cut(commands[i].name, " "); ok && first == name {
			verbs = append(verbs, &commands[i])
		}
	}
	return verbs
}

// runCommand runs c with its flag set.
func runCommand(ctx context.Context, c *command, args []string, stdout, stderr io.Writer) error {
	return c.run(ctx, newFlags(c, stdout), args, stdout, stderr)
}

// newFlags makes a command's flag set. The flag package prints nothing
// itself: parse returns its errors as one line and prints the usage once,
// for --help only.
func newFlags(c *command, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: roster %s %s\n\n%s.\n", c.name, c.synopsis, upperFirst(c.summary))
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n == 0 {
			return
		}
		fmt.Fprint(stdout, "\nFlags:\n")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// parse parses flags, printing usage for --help and refusing extra
// arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q (see roster %s --help)", fs.Name(), fs.Arg(0), fs.Name())
	}
	return nil
}

// parseArgs parses flags and leaves the arguments after them to the
// command, printing usage for --help.
func parseArgs(fs *flag.FlagSet, args []string) error {
	usage := fs.Usage
	fs.Usage = func() {} // the flag package calls it on every error
	err := fs.Parse(args)
	fs.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return errHelped
	case err != nil:
		return fmt.Errorf("%s: %w (see roster %s --help)", fs.Name(), err, fs.Name())
	}
	return resolveSecrets(fs)
}
