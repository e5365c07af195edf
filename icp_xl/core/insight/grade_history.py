"""Each account's grade at every rescore, kept as a log of changes, and the grade an
account had when an opportunity was created (the backtest of the Outcomes sheet).

The log has one row per account and run where its grade changed: ``run``, ``time`` (when
the rescore ran), ``customer_id`` and ``grade`` (blank when the account left the Accounts
table at that run). The first run logs every account; a run where nothing changed adds
nothing, so the log stays small.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from icp_xl.core.model.settings import GRADES

LOG_FIELDS = ("run", "time", "customer_id", "grade")


def latest_grades(log: pd.DataFrame) -> pd.Series:
    """Each logged account's grade as of the last run (index Customer ID; blank = gone)."""
    if log.empty:
        return pd.Series(dtype=object)
    ordered = log.sort_values("run", kind="stable")
    last = ordered.drop_duplicates("customer_id", keep="last")
    return pd.Series(last["grade"].to_numpy(dtype=object), index=last["customer_id"].astype(str))


def grade_changes(log: pd.DataFrame, grades: pd.Series, run: int, time: datetime) -> pd.DataFrame:
    """The rows to append to ``log`` for a run that graded accounts as ``grades`` (index
    Customer ID): new accounts, changed grades, and accounts gone since (grade blank)."""
    before = latest_grades(log)
    before = before[before.isin(GRADES)]
    now = grades.astype(object)
    prior = before.reindex(now.index)
    changed = now[prior.isna().to_numpy() | (prior.to_numpy() != now.to_numpy())]
    gone = before.index.difference(now.index)
    ids = [*changed.index.astype(str), *gone.astype(str)]
    values = [*changed.to_numpy(dtype=object), *([""] * len(gone))]
    return pd.DataFrame(
        {
            "run": run,
            "time": time,
            "customer_id": pd.Series(ids, dtype=object),
            "grade": pd.Series(values, dtype=object),
        }  # fmt: skip
    )[list(LOG_FIELDS)]


def grades_at_creation(opportunities: pd.DataFrame, log: pd.DataFrame) -> pd.Series:
    """The grade each opportunity's account had at the last run *before* the opportunity
    was created (index as ``opportunities``; blank when it was created before the first
    logged run, has no created date, or its account was not graded then)."""
    out = pd.Series("", index=opportunities.index, dtype=object)
    if log.empty or opportunities.empty:
        return out
    runs = (
        log[["run", "time"]].drop_duplicates("run").sort_values("time", kind="stable")
        .assign(time=lambda f: pd.to_datetime(f["time"]).astype("datetime64[ns]"))
    )  # fmt: skip
    created = pd.to_datetime(opportunities["created_date"]).astype("datetime64[ns]")
    dated = pd.DataFrame({"created": created, "customer_id": opportunities["customer_id"]})
    dated = dated[dated["created"].notna()].reset_index().sort_values("created", kind="stable")
    at_run = pd.merge_asof(
        dated, runs.rename(columns={"time": "created"}), on="created",
        direction="backward", allow_exact_matches=False,
    ).dropna(subset=["run"])  # fmt: skip
    if at_run.empty:
        return out
    at_run["run"] = at_run["run"].astype(np.int64)
    entries = log[["run", "customer_id", "grade"]].astype({"run": np.int64})
    entries = entries.assign(customer_id=entries["customer_id"].astype(str))
    at_run = at_run.assign(customer_id=at_run["customer_id"].astype(str))
    graded = pd.merge_asof(
        at_run.sort_values("run", kind="stable"), entries.sort_values("run", kind="stable"),
        on="run", by="customer_id", direction="backward",
    )  # fmt: skip
    graded = graded[graded["grade"].isin(GRADES)]
    out.loc[graded["index"].to_numpy()] = graded["grade"].to_numpy(dtype=object)
    return out
