package main

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLoadMemory(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-hubs", "2", "-conversations", "6", "-agents", "3", "-messages", "5", "-rate", "0", "-window", "2"}, &out, &errOut)
	assert.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	assert.Contains(t, out.String(), "sent 30, acknowledged 30 (0 twice), delivered to agents 30 (0 twice), out of order 0")
	assert.Contains(t, out.String(), "result=ok messages=30 lost=0 duplicated=0 out_of_order=0")
}

func TestLoadClassifyPaced(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-hubs", "1", "-conversations", "3", "-agents", "2", "-messages", "4", "-rate", "50", "-classify"}, &out, &errOut)
	assert.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	assert.Contains(t, out.String(), "result=ok messages=12 lost=0")
}

func TestLoadPostgres(t *testing.T) {
	dsn := os.Getenv("ICC_TEST_DATABASE_URL")
	if dsn == "" {
		t.Skip("ICC_TEST_DATABASE_URL is not set: skipping the PostgreSQL load run")
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-database-url", dsn, "-hubs", "2", "-conversations", "8", "-agents", "2", "-messages", "5", "-rate", "0"}, &out, &errOut)
	assert.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	assert.Contains(t, out.String(), "2 hub(s) on postgres")
	assert.Contains(t, out.String(), "result=ok messages=40 lost=0 duplicated=0 out_of_order=0")
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-hubs", "0"}, {"-conversations", "-1"}, {"-rate", "-2"}, {"-window", "0"}, {"-timeout", "0s"},
		{"-nope"}, {"extra"}, {"-database-url", "mysql://x"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, &out, &errOut)
		assert.Equal(t, 2, code, "%v", args)
		assert.NotEmpty(t, errOut.String(), "%v", args)
		assert.Empty(t, out.String(), "%v", args)
	}
}
