package emulator

import (
	"os"
	"os/signal"
	"syscall"
	"time"
)

// The processes a dyno leaves behind: the watch of a dyno's session until
// it is empty, and the reaper of orphans when the process is a child
// subreaper.

// watch calls gone, under the emulator's lock, once dyno session pgid
// holds no process.
func (m *manager) watch(pgid int, gone func()) {
	if len(liveDynos(map[int]bool{pgid: true})) == 0 {
		gone()
		return
	}
	m.watchMu.Lock()
	defer m.watchMu.Unlock()
	m.watched[pgid] = gone
	if !m.watching {
		m.watching = true
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
		m.watchMu.Lock()
		if len(m.watched) == 0 {
			m.watching = false
			m.watchMu.Unlock()
			return
		}
		groups := map[int]bool{}
		for g := range m.watched {
			groups[g] = true
		}
		m.watchMu.Unlock()
		live := liveDynos(groups)
		for g := range groups {
			if live[g] {
				continue
			}
			m.watchMu.Lock()
			gone := m.watched[g]
			delete(m.watched, g)
			m.watchMu.Unlock()
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
	m.reaperDone = make(chan struct{})
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer signal.Stop(sigs)
		for {
			select {
			case <-sigs:
				m.pidsMu.Lock()
				reapOrphans(m.mains)
				m.pidsMu.Unlock()
			case <-m.reaperDone:
				return
			}
		}
	}()
}

// stopReaper stops the reaper, then kills and reaps whatever is left among
// this process's children: what escaped the dynos' sessions.
func (m *manager) stopReaper() {
	if m.reaperDone == nil {
		return
	}
	close(m.reaperDone)
	m.pidsMu.Lock()
	defer m.pidsMu.Unlock()
	killOrphans(m.mains)
}
