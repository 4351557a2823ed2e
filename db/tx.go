package db

import (
	"context"
	"errors"
	"fmt"

	"conclave/core"
)

// InTx runs fn in one immediate transaction: it commits when fn returns nil and rolls back
// when fn fails or panics (re-panicking afterwards). Called on the Store given to fn, it runs
// the inner fn inline in the same transaction, under a savepoint, so a failing inner fn
// undoes only its own changes and the outer fn may still decide to carry on.
//
// Inside fn use only the Store passed to it: the database has one writer connection, so a
// write through the outer *DB would wait for the transaction that is waiting for it.
func (s *store) InTx(ctx context.Context, fn func(tx core.Store) error) error {
	if s.tx != nil {
		return s.savepoint(ctx, fn)
	}
	tx, err := s.begin.BeginTx(ctx, nil) // BEGIN IMMEDIATE via _txlock
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	done := false
	defer func() {
		if !done {
			// fn panicked: nothing it did may stay.
			_ = tx.Rollback()
		}
	}()
	ferr := fn(&store{w: tx, r: tx, tx: tx})
	done = true
	if ferr != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(ferr, fmt.Errorf("rollback: %w", rerr))
		}
		return ferr
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// savepoint runs fn inside the current transaction under a savepoint named after the
// nesting depth (never after input, so the name needs no quoting).
func (s *store) savepoint(ctx context.Context, fn func(tx core.Store) error) error {
	name := fmt.Sprintf("conclave_sp%d", s.depth+1)
	if _, err := s.tx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	// Undoing must work even when ctx is what failed.
	undo := func() error {
		uctx := context.WithoutCancel(ctx)
		_, err1 := s.tx.ExecContext(uctx, "ROLLBACK TO "+name)
		_, err2 := s.tx.ExecContext(uctx, "RELEASE "+name)
		return errors.Join(err1, err2)
	}
	done := false
	defer func() {
		if !done {
			_ = undo()
		}
	}()
	ferr := fn(&store{w: s.tx, r: s.tx, tx: s.tx, depth: s.depth + 1})
	done = true
	if ferr != nil {
		if uerr := undo(); uerr != nil {
			return errors.Join(ferr, fmt.Errorf("rollback to savepoint: %w", uerr))
		}
		return ferr
	}
	if _, err := s.tx.ExecContext(ctx, "RELEASE "+name); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}
