// probe: the test program of the real-node tests. One static binary that serves HTTP,
// resolves names, fetches URLs, allocates memory on request and reports what the kernel says
// about its own process (user, capabilities, no_new_privs, seccomp), so a test can read those
// values from inside a container with `kubectl exec` or over HTTP.
//
//	probe serve [ADDR]    HTTP on ADDR (default :8080): /, /healthz, /status,
//	                      /resolve?name=N, /get?url=U, /alloc?mib=N
//	probe status          the /proc/self/status fields below, one per line
//	probe resolve NAME    the addresses NAME resolves to
//	probe get URL         GET URL, print the status line and the body
//	probe alloc MIB       allocate and touch MIB MiB, say so, then hold it until killed
//	probe write PATH      create PATH; exits 1 (and says why) when it cannot
//	probe sleep           wait until killed
package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// statusFields are the lines of /proc/self/status the tests read.
var statusFields = []string{"Uid", "Gid", "Groups", "CapEff", "CapPrm", "CapBnd", "NoNewPrivs", "Seccomp"}

var (
	heldMu sync.Mutex
	held   [][]byte // memory allocated on request, kept reachable so it stays resident
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: probe serve|status|resolve|get|alloc|write|sleep [ARG]")
	}
	arg := ""
	if len(os.Args) > 2 {
		arg = os.Args[2]
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(arg)
	case "status":
		var out string
		out, err = status()
		fmt.Print(out)
	case "resolve":
		var out string
		out, err = resolve(arg)
		fmt.Print(out)
	case "get":
		var out string
		out, err = get(arg)
		fmt.Print(out)
	case "alloc":
		err = allocHold(arg)
	case "write":
		err = os.WriteFile(arg, []byte("probe\n"), 0o600)
		if err == nil {
			fmt.Println("wrote", arg)
		}
	case "sleep":
		waitForSignal()
	default:
		fail("unknown command " + os.Args[1])
	}
	if err != nil {
		fail(err.Error())
	}
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, "probe:", message)
	os.Exit(1)
}

func waitForSignal() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	<-signals
}

func status() (string, error) {
	file, err := os.Open("/proc/self/status")
	if err != nil {
		return "", err
	}
	defer file.Close()
	wanted := map[string]bool{}
	for _, name := range statusFields {
		wanted[name] = true
	}
	var out strings.Builder
	scanner := bufio.NewScanner(file)
	for scanner.Scan() {
		name, value, found := strings.Cut(scanner.Text(), ":")
		if found && wanted[name] {
			fmt.Fprintf(&out, "%s: %s\n", name, strings.Join(strings.Fields(value), " "))
		}
	}
	return out.String(), scanner.Err()
}

func resolve(name string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, name)
	if err != nil {
		return "", err
	}
	return strings.Join(addrs, "\n") + "\n", nil
}

func get(url string) (string, error) {
	client := http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	return resp.Status + "\n" + string(body), nil
}

// alloc allocates mib MiB and writes every page, so the memory is resident (and counted
// against the cgroup's limit) rather than merely reserved.
func alloc(mib int) int {
	block := make([]byte, mib<<20)
	for i := 0; i < len(block); i += 4096 {
		block[i] = 1
	}
	heldMu.Lock()
	defer heldMu.Unlock()
	held = append(held, block)
	total := 0
	for _, b := range held {
		total += len(b) >> 20
	}
	return total
}

func allocHold(arg string) error {
	mib, err := strconv.Atoi(arg)
	if err != nil || mib < 0 {
		return fmt.Errorf("alloc wants a number of MiB, got %q", arg)
	}
	fmt.Printf("allocated %d MiB\n", alloc(mib))
	waitForSignal()
	return nil
}

func serve(addr string) error {
	if addr == "" {
		addr = ":8080"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		host, _ := os.Hostname()
		fmt.Fprintf(w, "probe %s\n", host)
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/status", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, status)
	})
	mux.HandleFunc("/resolve", func(w http.ResponseWriter, r *http.Request) {
		reply(w, func() (string, error) { return resolve(r.URL.Query().Get("name")) })
	})
	mux.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
		reply(w, func() (string, error) { return get(r.URL.Query().Get("url")) })
	})
	mux.HandleFunc("/alloc", func(w http.ResponseWriter, r *http.Request) {
		mib, err := strconv.Atoi(r.URL.Query().Get("mib"))
		if err != nil || mib < 0 {
			http.Error(w, "mib wants a number", http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "allocated %d MiB\n", alloc(mib))
	})
	server := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		waitForSignal()
		_ = server.Close()
	}()
	fmt.Println("probe listening on", addr)
	if err := server.ListenAndServe(); err != http.ErrServerClosed {
		return err
	}
	return nil
}

func reply(w http.ResponseWriter, produce func() (string, error)) {
	out, err := produce()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	fmt.Fprint(w, out)
}
