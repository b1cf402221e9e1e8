"""The per-iteration record shared by :class:`~gmmlab.GaussianMixture` and :class:`~gmmlab.TracedKMeans`.

One :class:`IterationRecord` holds the state of the model after a given number of updates of one restart:
iteration 0 is the initial state, iteration ``i`` the state after ``i`` updates (M-steps for a GMM, centre
updates for KMeans). The objective stored with a record is the one *of that state*: the mean log-likelihood per
sample of those GMM parameters, or the KMeans inertia of those centres with the labels they induce.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Optional

import numpy as np

__all__ = ["IterationRecord", "History"]


@dataclass(frozen=True)
class IterationRecord:
    """The state of a clustering model at one iteration of one restart.

    Attributes
    ----------
    restart : int
        Index of the restart (initialisation) this state belongs to, from 0.
    iteration : int
        Number of updates applied since the initialisation; 0 is the initial state.
    means : ndarray of shape (n_components, n_features)
        Component means (GMM) or cluster centres (KMeans).
    weights : ndarray of shape (n_components,)
        Mixing weights (GMM) or the share of samples in each cluster (KMeans).
    covariances : ndarray or None
        Covariances in the estimator's ``covariance_type`` layout; None for KMeans.
    objective : float
        Mean log-likelihood per sample (GMM, higher is better) or inertia (KMeans, lower is better).
    labels : ndarray of shape (n_samples,) or None
        Hard assignment of every sample; None when not stored (see the estimators' ``history_max_cells``).
    responsibilities : ndarray of shape (n_samples, n_components) or None
        Soft assignments (GMM only); None when not stored.
    """

    restart: int
    iteration: int
    means: np.ndarray
    weights: np.ndarray
    covariances: Optional[np.ndarray]
    objective: float
    labels: Optional[np.ndarray] = None
    responsibilities: Optional[np.ndarray] = None

    @property
    def centers(self) -> np.ndarray:
        """Alias of ``means``, the name KMeans users expect."""
        return self.means


@dataclass
class History:
    """Every recorded iteration of every restart of one fit, in the order they happened.

    Parameters
    ----------
    model : {"gmm", "kmeans"}
        Which model produced the records.
    objective_name : {"log_likelihood", "inertia"}
        What ``IterationRecord.objective`` measures.
    covariance_type : str or None
        The GMM covariance type, which fixes the layout of ``covariances``; None for KMeans.
    best_restart : int
        Index of the restart whose final state the estimator kept.
    records : list of IterationRecord
    """

    model: str
    objective_name: str
    covariance_type: Optional[str] = None
    best_restart: int = 0
    records: list = field(default_factory=list)

    def append(self, record: IterationRecord) -> None:
        """Add one record at the end."""
        self.records.append(record)

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[IterationRecord]:
        return iter(self.records)

    def __getitem__(self, index):
        return self.records[index]

    @property
    def n_restarts(self) -> int:
        """Number of restarts that left records."""
        return len({r.restart for r in self.records})

    @property
    def higher_is_better(self) -> bool:
        """True for a log-likelihood, False for an inertia."""
        return self.objective_name == "log_likelihood"

    def restart(self, index: int) -> list:
        """The records of one restart, in iteration order.

        Raises
        ------
        ValueError
            If no record has that restart index.
        """
        selected = [r for r in self.records if r.restart == index]
        if not selected:
            raise ValueError(
                f"no records for restart {index}; this history holds restarts "
                f"{sorted({r.restart for r in self.records})}"
            )
        return selected

    def best(self) -> list:
        """The records of the restart the estimator kept."""
        return self.restart(self.best_restart)

    def objectives(self, restart: Optional[int] = None) -> np.ndarray:
        """The objective of every iteration of one restart (default: the kept one)."""
        index = self.best_restart if restart is None else restart
        return np.array([r.objective for r in self.restart(index)])

    def to_frame(self):
        """A tidy :class:`pandas.DataFrame` with one row per record: restart, iteration, objective."""
        import pandas as pd

        return pd.DataFrame(
            {
                "restart": [r.restart for r in self.records],
                "iteration": [r.iteration for r in self.records],
                self.objective_name: [r.objective for r in self.records],
            }
        )

    def __repr__(self) -> str:
        return (
            f"History(model={self.model!r}, records={len(self.records)}, restarts={self.n_restarts}, "
            f"best_restart={self.best_restart}, objective={self.objective_name!r})"
        )
