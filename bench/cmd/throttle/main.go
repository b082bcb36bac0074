// Command throttle is a TCP proxy that passes bytes on at a fixed rate,
// as a link of that bandwidth would: every connection shares one budget
// per direction. It prints the address it listens on as its first line
// and runs until killed. It speaks no HTTP, so TLS and the Host header
// pass through untouched; a registry behind it makes upload URLs that
// lead back through it.
//
//	throttle -to 127.0.0.1:5000 -rate 50 &   # 50 MB/s each way
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"sync"
	"time"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:0", "`HOST:PORT` to listen on")
	to := flag.String("to", "", "`HOST:PORT` to pass connections on to")
	rate := flag.Float64("rate", 50, "bandwidth in `MB/s` (10^6 bytes) each way")
	flag.Parse()
	if *to == "" || *rate <= 0 {
		fmt.Fprintln(os.Stderr, "usage: throttle -to HOST:PORT [-listen HOST:PORT] [-rate MB/s]")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ln.Addr())
	up, down := newPacer(*rate*1e6), newPacer(*rate*1e6)
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go serve(c, *to, up, down)
	}
}

// serve joins c to a new connection to target, paced each way.
func serve(c net.Conn, target string, up, down *pacer) {
	defer c.Close()
	t, err := net.Dial("tcp", target)
	if err != nil {
		log.Print(err)
		return
	}
	defer t.Close()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); pipe(t, c, up) }()
	go func() { defer wg.Done(); pipe(c, t, down) }()
	wg.Wait()
}

// pipe copies src to dst in pieces, each after the pacer allows it,
// then closes dst's writing side.
func pipe(dst, src net.Conn, p *pacer) {
	buf := make([]byte, 16<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.wait(n)
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	if tc, ok := dst.(*net.TCPConn); ok {
		tc.CloseWrite()
	} else {
		dst.Close()
	}
}

// pacer spaces out bytes to a rate: each call books its bytes after
// those booked before it, whatever the connection.
type pacer struct {
	mu   sync.Mutex
	rate float64 // bytes per second
	next time.Time
}

// credit is how far behind its schedule a pacer may fall and catch up.
const credit = 20 * time.Millisecond

func newPacer(rate float64) *pacer { return &pacer{rate: rate} }

// wait returns once n more bytes fit in the rate.
func (p *pacer) wait(n int) {
	p.mu.Lock()
	// An idle link saves no more than credit: a sleep that overshoots
	// is made up for, a pause is not.
	now := time.Now()
	if earliest := now.Add(-credit); p.next.Before(earliest) {
		p.next = earliest
	}
	at := p.next
	p.next = p.next.Add(time.Duration(float64(n) / p.rate * float64(time.Second)))
	p.mu.Unlock()
	time.Sleep(time.Until(at))
}
