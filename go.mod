module conclave

go 1.26.0

require (
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/mattn/go-sqlite3 v1.14.53
	golang.org/x/crypto v0.58.0
)

require golang.org/x/sys v0.49.0 // indirect
