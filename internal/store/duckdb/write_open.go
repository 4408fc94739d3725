package duckdb

import (
	"fmt"
	"strings"
)

// rowGroupRows is the size of the row groups of homesoc's database file.
//
// DuckDB writes the rows of a transaction straight to the database file, on
// all its threads, only when the transaction holds at least a row group's
// worth of rows. A smaller transaction is copied into the table's row groups
// and then checkpointed (or logged) when it commits, on one thread, which
// makes it cost two to four times as much. With DuckDB's default row groups
// of 122,880 rows, a batch of 65,536 events is such a small transaction; with
// row groups of 16,384 rows, every batch large enough to matter writes
// directly. Smaller row groups also prune time-range scans more finely.
const rowGroupRows = 16384

// attachStatements returns the statements that make a connection use the
// database file at path with rowGroupRows-row row groups, spilling to
// path.tmp as DuckDB does for a database it opens itself. DuckDB takes the
// row group size only as an option of ATTACH (not as a setting, nor from the
// file), so a store on a file opens an in-memory DuckDB and runs these
// statements in the init function of every connection.
func attachStatements(path string) string {
	q := strings.ReplaceAll(path, "'", "''")
	return fmt.Sprintf("SET temp_directory = '%s.tmp'; ATTACH IF NOT EXISTS '%s' AS homesoc (ROW_GROUP_SIZE %d); USE homesoc",
		q, q, rowGroupRows)
}
