"""Online backups of the database and the evidence store, and restoring them into an empty instance."""
