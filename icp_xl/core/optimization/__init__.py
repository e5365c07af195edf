"""Weight optimization: the objective (Spearman with revenue, KL to the grade shares), the
feasible weight space, the Optuna search with its refinement, and cross-validation. A shared
study's storage is opened at the edge (:mod:`icp_xl.studies`) and handed in."""
