package gen

import (
	"os"
	"testing"
)

// TestMain lets the test binary stand in for authentify-gen as the sqlc
// child process: RunSqlc tests pass os.Executable() as exe.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == SqlcSubcommand {
		os.Exit(SqlcMain(os.Args[2:]))
	}
	os.Exit(m.Run())
}
