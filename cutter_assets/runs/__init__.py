"""Cut runs as a service, below the Dagster shells: starting one, the STOP
protocol, leading a run through its stages, the sovereign's commands."""
