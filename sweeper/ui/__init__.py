"""Front ends that show the sweep engine's progress events and results."""
