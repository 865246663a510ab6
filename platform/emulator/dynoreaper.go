package emulator

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// The processes a dyno leaves behind: the watch of a dyno's session until
// it is empty, and the reaper of orphans when the process is a child
// subreaper.

// sessionWatch is the watch over the sessions of dynos whose command has
// exited, until each holds no process.
type sessionWatch struct {
	mu       sync.Mutex
	watched  map[int]func() // dyno session -> what to do once it is empty (under e.mu)
	watching bool           // watchGroups runs
}

// reaper knows the dynos' commands, which os/exec waits for, so that,
// when the process is a child subreaper, it reaps every other child left
// to it, and kills them at the end.
type reaper struct {
	// mu guards mains, and makes a start and its registration atomic for
	// the reaper.
	mu    sync.Mutex
	mains map[int]bool  // the dynos' commands
	done  chan struct{} // closed to stop the reaper; nil when it never started
}

// watch calls gone, under the emulator's lock, once dyno session pgid
// holds no process.
func (m *manager) watch(pgid int, gone func()) {
	if len(liveDynos(map[int]bool{pgid: true})) == 0 {
		gone()
		return
	}
	m.sessions.mu.Lock()
	defer m.sessions.mu.Unlock()
	m.sessions.watched[pgid] = gone
	if !m.sessions.watching {
		m.sessions.watching = true
		m.wg.Add(1)
		go m.watchGroups()
	}
}

// watchGroups looks, every 10 ms, at the sessions of dynos whose
// command has exited, until none is left to watch.
func (m *manager) watchGroups() {
	defer m.wg.Done()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		m.sessions.mu.Lock()
		if len(m.sessions.watched) == 0 {
			m.sessions.watching = false
			m.sessions.mu.Unlock()
			return
		}
		groups := map[int]bool{}
		for g := range m.sessions.watched {
			groups[g] = true
		}
		m.sessions.mu.Unlock()
		live := liveDynos(groups)
		for g := range groups {
			if live[g] {
				continue
			}
			m.sessions.mu.Lock()
			gone := m.sessions.watched[g]
			delete(m.sessions.watched, g)
			m.sessions.mu.Unlock()
			m.e.mu.Lock()
			gone()
			m.e.mu.Unlock()
		}
		<-tick.C
	}
}

// startReaper reaps, at every SIGCHLD, the orphans that dynos leave to
// this process (a subreaper), except the dynos' commands, which os/exec
// waits for.
func (m *manager) startReaper() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGCHLD)
	m.reaper.done = make(chan struct{})
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer signal.Stop(sigs)
		for {
			select {
			case <-sigs:
				m.reaper.mu.Lock()
				reapOrphans(m.reaper.mains)
				m.reaper.mu.Unlock()
			case <-m.reaper.done:
				return
			}
		}
	}()
}

// stopReaper stops the reaper, then kills and reaps whatever is left among
// this process's children: what escaped the dynos' sessions.
func (m *manager) stopReaper() {
	if m.reaper.done == nil {
		return
	}
	close(m.reaper.done)
	m.reaper.mu.Lock()
	defer m.reaper.mu.Unlock()
	killOrphans(m.reaper.mains)
}
