"""Qt widgets of the kiosk: they draw a `Screen` and emit requests, nothing else."""
