"""The scoring model: its settings and weights, the four component scores, the raw and ICP
scores with their grades, revenue segments, the frozen (Calibrated) scale and the revenue
target the optimizer fits."""
