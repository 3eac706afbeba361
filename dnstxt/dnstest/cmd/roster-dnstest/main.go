// Command roster-dnstest serves the TXT records of a directory (one file
// per name, one record per line) on 127.0.0.1, for the browser suite:
// e2e/global-setup.ts starts it and points roster serve at it with
// ROSTER_DNS_SERVER. It prints its address and serves until killed.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"roster/dnstxt/dnstest"
)

func main() {
	port := flag.String("port", "0", "port on 127.0.0.1 (0: a free one)")
	dir := flag.String("dir", "", "directory of records: a file per name, a TXT record per line")
	flag.Parse()
	s, err := dnstest.Start(*port, *dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "roster-dnstest:", err)
		os.Exit(1)
	}
	fmt.Println(s.Addr)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	s.Close()
}
