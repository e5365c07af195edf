"""Optimizer defaults and limits (docs/optimizer.md), kept free of heavy imports so that the
CLI's ``--help`` and the workbook layout can show them without loading NumPy or Optuna."""

SAMPLERS: tuple[str, ...] = ("tpe", "qmc", "random")
DEFAULT_SAMPLER = "tpe"
DEFAULT_TRIALS = 80
DEFAULT_FOLDS = 5
MAX_FOLDS = 10
DEFAULT_SEED = 42
MAX_SEED = 2**32 - 1 - MAX_FOLDS
"""Largest seed: fold k of the validation is seeded ``seed + k`` (k <= :data:`MAX_FOLDS`)
and NumPy's generators behind Optuna's samplers take seeds from 0 to 2**32 - 1."""
DEFAULT_LAMBDA = 0.25

# Shared studies (icp_xl.studies, icp-xl optimize --storage): light for --help too.
STORAGE_ENV = "ICP_XL_STORAGE"
"""Environment variable holding the storage URL (keeps a password off the command line)."""
DEFAULT_GRACE_SECONDS = 60
"""A RUNNING trial with no sign of life for this long is failed and queued again."""
