"""The Dagster graph's frame: the documents partitioning and the stage jobs
(asset groups of the catalogue)."""
