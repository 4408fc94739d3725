package store

// RetentionStore deletes rows older than their table's retention.
type RetentionStore interface{}
