package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

// The variables that hold a secret (DATABASE_URL, ROSTER_JWT_HS256_SECRET,
// ROSTER_SMTP_URL and ROSTER_SECRET_KEY) may each be
// given as NAME_FILE instead: the path of a file holding the value, as
// Docker and Kubernetes secrets and systemd credentials are mounted. A flag
// of the same meaning still wins over both.

// lookupSecret returns the value of the secret variable name, from name
// itself or from the file that name_FILE names (without its trailing
// newline), and whether either is set. Both set, an unreadable file and an
// empty one are errors naming the variable.
func lookupSecret(name string) (string, bool, error) {
	value, inEnv := os.LookupEnv(name)
	path, inFile := os.LookupEnv(name + "_FILE")
	switch {
	case inEnv && inFile:
		return "", false, fmt.Errorf("%s and %s_FILE: set one, not both", name, name)
	case !inFile:
		return value, inEnv, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", false, fmt.Errorf("%s_FILE: cannot read %s: %v", name, path, err)
	}
	value = strings.TrimRight(string(b), "\r\n")
	if value == "" {
		return "", false, fmt.Errorf("%s_FILE: %s is empty", name, path)
	}
	return value, true, nil
}

// secretFlag is a flag whose default is a secret variable: read when the
// flag is not given, after parsing (see parseArgs), so that help texts
// never show the secret.
type secretFlag struct {
	env, def string // the variable, and the value when it is not set either
	value    string
	set      bool
}

// String is the flag's value.
func (f *secretFlag) String() string { return f.value }

// Set is the flag given on the command line.
func (f *secretFlag) Set(v string) error {
	f.value, f.set = v, true
	return nil
}

// resolve fills in the variable's value, or the default, unless the flag
// was given.
func (f *secretFlag) resolve() error {
	if f.set {
		return nil
	}
	v, ok, err := lookupSecret(f.env)
	switch {
	case err != nil:
		return err
	case ok:
		f.value = v
	default:
		f.value = f.def
	}
	return nil
}

// secretString adds a flag defaulting to the secret variable env (or
// env_FILE), else to def.
func secretString(fs *flag.FlagSet, name, env, def, usage string) *string {
	f := &secretFlag{env: env, def: def}
	where := " (env " + env + " or " + env + "_FILE"
	if def != "" {
		where += "; default " + def
	}
	fs.Var(f, name, usage+where+")")
	return &f.value
}

// resolveSecrets reads the secret variables of the flags not given.
func resolveSecrets(fs *flag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if s, ok := f.Value.(*secretFlag); ok && err == nil {
			err = s.resolve()
		}
	})
	return err
}
