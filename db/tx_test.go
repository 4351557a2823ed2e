package db

import (
	"errors"
	"testing"
	"time"

	"conclave/core"
)

func TestInTxCommit(t *testing.T) {
	d := openTest(t)
	err := d.InTx(bg, func(tx core.Store) error {
		if err := tx.CreateUser(bg, sampleUser("alice")); err != nil {
			return err
		}
		// The transaction reads its own writes.
		_, err := tx.GetUser(bg, "alice")
		return err
	})
	must(t, err)
	if _, err := d.GetUser(bg, "alice"); err != nil {
		t.Errorf("committed user missing: %v", err)
	}
}

func TestInTxRollbackOnError(t *testing.T) {
	d := openTest(t)
	boom := errors.New("boom")
	err := d.InTx(bg, func(tx core.Store) error {
		must(t, tx.CreateUser(bg, sampleUser("alice")))
		must(t, tx.CreateRoom(bg, sampleRoom("r1")))
		must(t, tx.PutSetting(bg, "k", "v"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx returned %v, want fn's error", err)
	}
	assertEmpty(t, d)
}

func TestInTxRollbackOnPanic(t *testing.T) {
	d := openTest(t)
	func() {
		defer func() {
			if p := recover(); p != "kaboom" {
				t.Errorf("recovered %v, want the original panic", p)
			}
		}()
		_ = d.InTx(bg, func(tx core.Store) error {
			must(t, tx.CreateUser(bg, sampleUser("alice")))
			panic("kaboom")
		})
	}()
	assertEmpty(t, d)
	// The writer connection is usable again.
	must(t, d.CreateUser(bg, sampleUser("bobby")))
}

// assertEmpty fails unless nothing that the rollback tests write exists.
func assertEmpty(t *testing.T, d *DB) {
	t.Helper()
	if _, err := d.GetUser(bg, "alice"); !errors.Is(err, core.ErrNoRows) {
		t.Errorf("user survived rollback: %v", err)
	}
	if _, err := d.GetRoom(bg, "r1"); !errors.Is(err, core.ErrNoRows) {
		t.Errorf("room survived rollback: %v", err)
	}
	if _, err := d.GetSetting(bg, "k"); !errors.Is(err, core.ErrNoRows) {
		t.Errorf("setting survived rollback: %v", err)
	}
}

func TestInTxNested(t *testing.T) {
	d := openTest(t)
	inner := errors.New("inner")
	err := d.InTx(bg, func(tx core.Store) error {
		must(t, tx.CreateUser(bg, sampleUser("outer")))
		// A failing inner fn undoes only its own work, and the outer one may go on.
		if err := tx.InTx(bg, func(tx2 core.Store) error {
			must(t, tx2.CreateUser(bg, sampleUser("failed")))
			return inner
		}); !errors.Is(err, inner) {
			t.Errorf("nested InTx returned %v", err)
		}
		// Nesting twice, successfully, inside the same transaction.
		return tx.InTx(bg, func(tx2 core.Store) error {
			if _, err := tx2.GetUser(bg, "outer"); err != nil {
				return err // the inner fn sees the outer fn's writes
			}
			return tx2.InTx(bg, func(tx3 core.Store) error {
				return tx3.CreateUser(bg, sampleUser("inner"))
			})
		})
	})
	must(t, err)
	for id, want := range map[string]bool{"outer": true, "inner": true, "failed": false} {
		_, err := d.GetUser(bg, id)
		if got := err == nil; got != want {
			t.Errorf("user %s exists = %v, want %v (%v)", id, got, want, err)
		}
	}

	// An outer failure undoes what nested calls committed to it.
	err = d.InTx(bg, func(tx core.Store) error {
		must(t, tx.InTx(bg, func(tx2 core.Store) error { return tx2.CreateUser(bg, sampleUser("gone")) }))
		return errors.New("outer fails")
	})
	if err == nil {
		t.Fatal("outer error lost")
	}
	if _, err := d.GetUser(bg, "gone"); !errors.Is(err, core.ErrNoRows) {
		t.Errorf("nested write survived the outer rollback: %v", err)
	}
}

func TestReadsDoNotWaitForWrites(t *testing.T) {
	d := openTest(t)
	must(t, d.CreateUser(bg, sampleUser("alice")))
	inTx, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		done <- d.InTx(bg, func(tx core.Store) error {
			u := sampleUser("alice")
			u.Name = "changed"
			if err := tx.UpdateUser(bg, u); err != nil {
				return err
			}
			close(inTx)
			<-release
			return nil
		})
	}()
	<-inTx
	got := make(chan *core.User, 1)
	go func() {
		u, err := d.GetUser(bg, "alice")
		if err != nil {
			t.Error(err)
		}
		got <- u
	}()
	select {
	case u := <-got:
		if u != nil && u.Name == "changed" {
			t.Error("a reader saw an uncommitted write")
		}
	case <-time.After(3 * time.Second):
		t.Error("a read waited for an open write transaction")
	}
	close(release)
	must(t, <-done)
	if u, _ := d.GetUser(bg, "alice"); u.Name != "changed" {
		t.Errorf("after commit name = %q", u.Name)
	}
}
