package broadcast

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The journal is an append-only text file, one record a line:
//
//	b UNIX TOTAL INDOUBT   a run began: TOTAL to mail, INDOUBT sent again
//	s ID                   sending to member ID (durable before the send)
//	d ID                   sent: the SMTP server took it
//	f ID CODE MESSAGE      refused for good (5xx): not tried again
//	t ID MESSAGE           not sent after a few tries (4xx, network): tried on the next run
//	e UNIX                 the run ended with nothing left to send
//
// A member with an "s" and no outcome after it was being sent when the
// process stopped: the next run sends it again and counts it in doubt.
// "s" is fsynced before its send, so no mail the server took goes
// unrecorded; outcomes are fsynced in groups, with the next "s" or within
// flushEvery, so a crash can duplicate only the sends in flight and those
// whose outcome was not yet on disk. A torn last line is dropped.

// flushEvery bounds how long an outcome waits for its fsync.
const flushEvery = 20 * time.Millisecond

// state is a journal read back.
type state struct {
	sent     map[int64]bool
	failed   map[int64]failure // refused for good
	deferred map[int64]failure // temporary failure in the last run
	sending  map[int64]bool    // begun, no outcome: in doubt
	inDoubt  int               // sends repeated after earlier stops, over all runs
	runs     int
	total    int // of the latest run
	began    time.Time
	first    time.Time
	ended    time.Time // zero unless the latest run finished
	validLen int64     // bytes up to the last whole line
}

type failure struct {
	Code int
	Msg  string
}

func readJournal(path string) (*state, error) {
	st := &state{sent: map[int64]bool{}, failed: map[int64]failure{}, deferred: map[int64]failure{}, sending: map[int64]bool{}}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[:i+1]
	} else {
		b = nil
	}
	st.validLen = int64(len(b))
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), " ", 4)
		num := func(i int) int64 {
			if i >= len(f) {
				return 0
			}
			n, _ := strconv.ParseInt(f[i], 10, 64)
			return n
		}
		id := num(1)
		switch f[0] {
		case "b":
			st.runs++
			st.total = int(num(2))
			st.began = time.Unix(num(1), 0)
			if st.first.IsZero() {
				st.first = st.began
			}
			st.ended = time.Time{}
			st.inDoubt += len(st.sending)
			st.deferred = map[int64]failure{}
			clear(st.sending)
		case "s":
			st.sending[id] = true
		case "d":
			delete(st.sending, id)
			delete(st.deferred, id)
			st.sent[id] = true
		case "f":
			delete(st.sending, id)
			msg := ""
			if len(f) > 3 {
				msg = f[3]
			}
			st.failed[id] = failure{Code: int(num(2)), Msg: msg}
		case "t":
			delete(st.sending, id)
			msg := ""
			if len(f) > 2 {
				msg = strings.Join(f[2:], " ")
			}
			st.deferred[id] = failure{Msg: msg}
		case "e":
			st.ended = time.Unix(num(1), 0)
		}
	}
	return st, sc.Err()
}

// journal appends records with group commit: whoever needs a record on
// disk writes and fsyncs everything waiting, once for many.
type journal struct {
	f *os.File

	mu      sync.Mutex
	cond    *sync.Cond
	buf     []byte
	seq     uint64 // records appended
	synced  uint64 // records on disk
	syncing bool
	err     error
	syncs   int
	stop    chan struct{}
	stopped chan struct{}
}

func openJournal(path string, validLen int64) (*journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	// Drop a torn last line, so the next record starts on its own line.
	if err := f.Truncate(validLen); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(validLen, 0); err != nil {
		f.Close()
		return nil, err
	}
	j := &journal{f: f, stop: make(chan struct{}), stopped: make(chan struct{})}
	j.cond = sync.NewCond(&j.mu)
	go j.flusher()
	return j, nil
}

// add appends a record and returns its sequence number.
func (j *journal) add(format string, args ...any) uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.buf = fmt.Appendf(j.buf, format, args...)
	j.buf = append(j.buf, '\n')
	j.seq++
	return j.seq
}

// durable returns once record seq (and all before it) is on disk.
func (j *journal) durable(seq uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.synced < seq && j.err == nil {
		if j.syncing {
			j.cond.Wait()
			continue
		}
		j.syncing = true
		buf, upto := j.buf, j.seq
		j.buf = nil
		j.mu.Unlock()
		_, err := j.f.Write(buf)
		if err == nil {
			err = j.f.Sync()
		}
		j.mu.Lock()
		j.syncing = false
		j.syncs++
		if err != nil {
			j.err = fmt.Errorf("write the broadcast journal: %w", err)
		} else {
			j.synced = upto
		}
		j.cond.Broadcast()
	}
	return j.err
}

// flusher puts outcomes on disk within flushEvery when no send does.
func (j *journal) flusher() {
	defer close(j.stopped)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-j.stop:
			return
		case <-t.C:
		}
		j.mu.Lock()
		seq := j.seq
		j.mu.Unlock()
		j.durable(seq)
	}
}

// close flushes everything and closes the file.
func (j *journal) close() error {
	close(j.stop)
	<-j.stopped
	j.mu.Lock()
	seq := j.seq
	j.mu.Unlock()
	err := j.durable(seq)
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	return err
}
