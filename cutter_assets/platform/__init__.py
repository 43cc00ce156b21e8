"""Where cutter runs: its settings, safe file reading, and Dagster's storage on
cutter's PostgreSQL. Imports nothing of cutter but core."""
