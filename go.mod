module conclave

go 1.26.0

require (
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/mattn/go-sqlite3 v1.14.53 // indirect
	golang.org/x/crypto v0.58.0 // indirect
)
