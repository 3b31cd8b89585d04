package storage_test

import (
	"context"
	"fmt"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage"
)

func ExampleOpen() {
	ctx := context.Background()

	// An empty URL or "memory://" gives the in-memory backend; a
	// "postgres://" URL gives PostgreSQL with its migrations applied.
	backend, err := storage.Open(ctx, "memory://")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer backend.Close()
	fmt.Println("ping:", backend.Ping(ctx))

	_, err = storage.Open(ctx, "mysql://root:secret@localhost/icc")
	fmt.Println(icc.ErrorCode(err), icc.ErrorField(err))
	// Output:
	// ping: <nil>
	// invalid database_url
}

func ExampleRedact() {
	fmt.Println(storage.Redact("postgres://app:secret@db.internal:5432/icc?sslmode=require"))
	// Output:
	// postgres://app:xxxxx@db.internal:5432/icc?sslmode=require
}
