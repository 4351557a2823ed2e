package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"conclave/core"

	"github.com/mattn/go-sqlite3"
)

// querier is what *sql.DB and *sql.Tx share, so every Store method is written once and
// works both on its own and inside a transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// scanner is what *sql.Row and *sql.Rows share, so one scan function reads a record from
// either.
type scanner interface {
	Scan(dest ...any) error
}

// store implements core.Store over a writer and a reader. Outside a transaction they are
// the writer connection and the read-only pool; inside one both are the *sql.Tx, so fn
// reads its own writes. Each concern's interface is implemented in the file of its table
// (users.go, rooms.go, …), InTx in tx.go and Ping below.
type store struct {
	w     querier
	r     querier
	begin *sql.DB // where transactions start; nil inside a transaction
	tx    *sql.Tx // non-nil inside a transaction
	depth int     // savepoint nesting inside a transaction
}

// Ping runs a trivial query on the read pool: the database file is there and answers.
func (s *store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// mapErr turns SQLite's constraint failures into core's store errors; what names the
// operation for the message.
func mapErr(err error, what string) error {
	if err == nil {
		return nil
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.ExtendedCode {
		case sqlite3.ErrConstraintUnique, sqlite3.ErrConstraintPrimaryKey:
			return fmt.Errorf("%s: %w: %w", what, core.ErrDuplicate, err)
		case sqlite3.ErrConstraintForeignKey:
			// Our only foreign keys point from a child to its parent (member → room,
			// session → user), so a violation means the parent does not exist.
			return fmt.Errorf("%s: parent row missing: %w: %w", what, core.ErrNoRows, err)
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, core.ErrNoRows)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// execOne runs a statement that must touch exactly one row (update or delete by key) and
// reports core.ErrNoRows when it touched none.
func execOne(ctx context.Context, q querier, what, query string, args ...any) error {
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return mapErr(err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return mapErr(err, what)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, core.ErrNoRows)
	}
	return nil
}

// execCount runs a statement and returns how many rows it changed.
func execCount(ctx context.Context, q querier, what, query string, args ...any) (int, error) {
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, mapErr(err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, mapErr(err, what)
	}
	return int(n), nil
}

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, q querier, what string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err, what)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, mapErr(err, what)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err, what)
	}
	return out, nil
}

// boolInt stores a bool as SQLite's 0/1 (STRICT tables hold INTEGER).
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
