"""The shells people use: the `cutter` command, the demo, the Dagster
daemon and UI launcher, leading cut runs through Dagster (orchestration) and
the sovereign's commands."""
