"""Pure RF signal processing: functions over NumPy arrays, no hardware."""
